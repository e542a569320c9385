// Crash simulation: random transactions through the host-file VFS over a host that records every
// write and, at a chosen operation, "loses power": whatever a file received since its last sync
// is dropped (optionally keeping a torn, sector-aligned part of its last unsynced write). After
// each crash the database is reopened and checked: integrity_check is ok, no transaction is partly
// visible, and, with synchronous=FULL (durability "full"), every transaction whose COMMIT returned
// is there; with WAL and synchronous=NORMAL (durability "relaxed"), the committed transactions up
// to some point are (the last ones may be lost, the database never).
//
//   wsq_crash_sim [crash points per mode] [seed]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"
#include "web_sqlite/host.h"
#include "web_sqlite/vfs.h"

namespace wsq {
namespace {

constexpr int kSector = 512;

/// Files in memory with a durable image (as of the last sync) and a current one.
class CrashHost : public Host {
 public:
  struct PendingWrite {
    int64_t offset;
    std::vector<uint8_t> data;
  };
  struct File {
    std::vector<uint8_t> durable, current;
    std::optional<PendingWrite> last_unsynced;
  };

  /// Crash at the n-th mutating operation (1-based); -1: never.
  void ArmCrash(int64_t n) {
    crash_at_ = n;
    ops_ = 0;
    crashed_ = false;
  }
  int64_t ops() const { return ops_; }
  bool crashed() const { return crashed_; }

  /// Power comes back: every file is its durable image (plus, with tear, a sector-aligned
  /// prefix of its last unsynced write).
  int Reboot(std::mt19937_64& rng, bool tear) {
    int torn = 0;
    for (auto& [name, f] : files_) {
      if (tear && f.last_unsynced && f.last_unsynced->data.size() > kSector) {
        const PendingWrite& w = *f.last_unsynced;
        size_t sectors = w.data.size() / kSector;
        size_t keep = (rng() % sectors) * kSector;
        if (keep > 0) {
          if (f.durable.size() < static_cast<size_t>(w.offset) + keep) {
            f.durable.resize(static_cast<size_t>(w.offset) + keep);
          }
          std::copy(w.data.begin(), w.data.begin() + static_cast<long>(keep),
                    f.durable.begin() + w.offset);
          ++torn;
        }
      }
      f.current = f.durable;
      f.last_unsynced.reset();
    }
    handles_.clear();
    crash_at_ = -1;
    crashed_ = false;
    return torn;
  }

  void Clear() {
    files_.clear();
    handles_.clear();
  }

  int Open(std::string_view path, int flags, int32_t* handle) override {
    std::string name(path);
    if (files_.count(name) == 0) {
      if ((flags & SQLITE_OPEN_CREATE) == 0 || crashed_) return SQLITE_CANTOPEN;
      files_[name];  // creation is durable at once, as in OPFS and journaling file systems
    }
    *handle = next_handle_++;
    handles_[*handle] = name;
    return SQLITE_OK;
  }
  int Close(int32_t handle) override {
    handles_.erase(handle);
    return SQLITE_OK;
  }
  int Read(int32_t h, uint8_t* buffer, size_t n, int64_t offset, size_t* read) override {
    if (crashed_) return SQLITE_IOERR_READ;
    const auto& data = At(h).current;
    size_t from = std::min(data.size(), static_cast<size_t>(offset));
    size_t got = std::min(n, data.size() - from);
    std::copy(data.begin() + static_cast<long>(from), data.begin() + static_cast<long>(from + got),
              buffer);
    *read = got;
    return SQLITE_OK;
  }
  int Write(int32_t h, const uint8_t* buffer, size_t n, int64_t offset) override {
    if (Tick()) return SQLITE_IOERR_WRITE;
    File& f = At(h);
    if (f.current.size() < static_cast<size_t>(offset) + n) {
      f.current.resize(static_cast<size_t>(offset) + n);
    }
    std::copy(buffer, buffer + n, f.current.begin() + offset);
    f.last_unsynced = PendingWrite{offset, std::vector<uint8_t>(buffer, buffer + n)};
    return SQLITE_OK;
  }
  int Truncate(int32_t h, int64_t size) override {
    if (Tick()) return SQLITE_IOERR_TRUNCATE;
    At(h).current.resize(static_cast<size_t>(size));
    return SQLITE_OK;
  }
  int Sync(int32_t h, int) override {
    if (Tick()) return SQLITE_IOERR_FSYNC;
    File& f = At(h);
    f.durable = f.current;
    f.last_unsynced.reset();
    return SQLITE_OK;
  }
  int Size(int32_t h, int64_t* size) override {
    if (crashed_) return SQLITE_IOERR_FSTAT;
    *size = static_cast<int64_t>(At(h).current.size());
    return SQLITE_OK;
  }
  int Delete(std::string_view path, bool) override {
    if (Tick()) return SQLITE_IOERR_DELETE;
    // Deletion is durable at once: the OPFS host deletes by truncate + flush.
    return files_.erase(std::string(path)) ? SQLITE_OK : SQLITE_IOERR_DELETE_NOENT;
  }
  int Access(std::string_view path, int, bool* result) override {
    if (crashed_) return SQLITE_IOERR_ACCESS;
    *result = files_.count(std::string(path)) != 0;
    return SQLITE_OK;
  }
  void Randomness(uint8_t* buffer, size_t n) override { DefaultHost()->Randomness(buffer, n); }
  double NowMs() override { return DefaultHost()->NowMs(); }
  void Log(int, const char*) override {}

 private:
  /// Counts a mutating operation; true when the power is (now) off.
  bool Tick() {
    if (crashed_) return true;
    if (++ops_ == crash_at_) crashed_ = true;
    return crashed_;
  }
  File& At(int32_t h) { return files_[handles_.at(h)]; }

  std::map<std::string, File> files_;
  std::map<int32_t, std::string> handles_;
  int32_t next_handle_ = 1;
  int64_t ops_ = 0;
  int64_t crash_at_ = -1;
  bool crashed_ = false;
};

using Model = std::map<int64_t, std::string>;

struct Outcome {
  Model committed;                 // every transaction whose COMMIT returned
  std::optional<Model> in_flight;  // the transaction whose COMMIT was cut by the crash
  std::vector<Model> history{{}};  // the committed states in order, from the empty database
};

/// A journal mode and synchronous setting; durable: a returned COMMIT survives any crash.
struct Mode {
  const char* journal;
  const char* synchronous;
  bool durable;
};
constexpr Mode kModes[] = {{"truncate", "FULL", true},
                           {"delete", "FULL", true},
                           {"persist", "FULL", true},
                           {"wal", "FULL", true},
                           {"wal", "NORMAL", false}};

std::string Blob(std::mt19937_64& rng) {
  size_t n = rng() % 4 == 0 ? rng() % 6000 : rng() % 300;
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

int Exec(Connection* c, const std::string& sql, ByteWriter* out, Error* error) {
  return c->Exec(sql, nullptr, 0, 0, out, error);
}

std::string Hex(const std::string& s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    out.push_back(digits[ch >> 4]);
    out.push_back(digits[ch & 15]);
  }
  return out;
}

/// Runs random transactions until the script ends or the power fails.
Outcome RunScript(Connection* c, std::mt19937_64& rng, const Mode& mode) {
  ByteWriter out;
  Error error;
  Outcome outcome;
  std::string setup = std::string("PRAGMA journal_mode=") + mode.journal +
                      "; PRAGMA synchronous=" + mode.synchronous +
                      "; PRAGMA cache_size=" + std::to_string(rng() % 2 ? 4 : 500) +
                      // Small checkpoints, so that crashes also cut them.
                      "; PRAGMA wal_autocheckpoint=" + std::to_string(rng() % 2 ? 4 : 1000) +
                      "; CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v BLOB)";
  if (Exec(c, setup, &out, &error) != SQLITE_OK) return outcome;
  int transactions = 1 + static_cast<int>(rng() % 6);
  for (int tx = 0; tx < transactions; ++tx) {
    Model pending = outcome.committed;
    std::string sql = "BEGIN;";
    int statements = 1 + static_cast<int>(rng() % 25);
    for (int i = 0; i < statements; ++i) {
      int64_t k = 1 + static_cast<int64_t>(rng() % 200);
      switch (rng() % 3) {
        case 0:
        case 1: {
          std::string v = Blob(rng);
          sql += "INSERT OR REPLACE INTO t VALUES (" + std::to_string(k) + ", x'" + Hex(v) + "');";
          pending[k] = v;
          break;
        }
        default:
          sql += "DELETE FROM t WHERE k = " + std::to_string(k) + ";";
          pending.erase(k);
      }
    }
    if (Exec(c, sql, &out, &error) != SQLITE_OK) {
      Exec(c, "ROLLBACK", &out, &error);
      return outcome;
    }
    if (Exec(c, "COMMIT", &out, &error) != SQLITE_OK) {
      outcome.in_flight = pending;  // the commit point may or may not have been reached
      Exec(c, "ROLLBACK", &out, &error);
      return outcome;
    }
    outcome.committed = pending;
    outcome.history.push_back(pending);
  }
  return outcome;
}

std::optional<Model> ReadBack(Connection* c, std::string* problem) {
  ByteWriter out;
  Error error;
  if (Exec(c, "SELECT 1 FROM sqlite_schema WHERE name = 't'", &out, &error) != SQLITE_OK) {
    *problem = "reading the schema: " + error.message;
    return std::nullopt;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(c->db(), "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
    *problem = std::string("integrity_check: ") + sqlite3_errmsg(c->db());
    return std::nullopt;
  }
  std::string check;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    check = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  if (check != "ok") {
    *problem = "integrity_check: " + check;
    return std::nullopt;
  }
  Model model;
  if (sqlite3_prepare_v2(c->db(), "SELECT k, v FROM t", -1, &stmt, nullptr) != SQLITE_OK) {
    return model;  // the table was never committed
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const char* v = static_cast<const char*>(sqlite3_column_blob(stmt, 1));
    model[sqlite3_column_int64(stmt, 0)] = std::string(v ? v : "", sqlite3_column_bytes(stmt, 1));
  }
  sqlite3_finalize(stmt);
  return model;
}

/// Opens crash.db; null, with the error in *problem, when it fails (a keyed open of a new
/// database writes its first page, which a crash can cut).
std::unique_ptr<Connection> TryOpen(const char* vfs, std::string* problem) {
  std::unique_ptr<Connection> c;
  Error error;
  if (Connection::Open("crash.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs,
                       test::SuiteKey(), &c, &error) != SQLITE_OK) {
    *problem = "open: " + error.message;
    return nullptr;
  }
  return c;
}

std::unique_ptr<Connection> Open(const char* vfs) {
  std::string problem;
  std::unique_ptr<Connection> c = TryOpen(vfs, &problem);
  if (c == nullptr) {
    std::fprintf(stderr, "%s\n", problem.c_str());
    std::exit(1);
  }
  return c;
}

}  // namespace
}  // namespace wsq

int main(int argc, char** argv) {
  using namespace wsq;
  int points = argc > 1 ? std::atoi(argv[1]) : 1000;
  uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20261124;
  if (wsq_init() != SQLITE_OK) return 1;
  CrashHost host;
  HostVfs vfs("wsq-crash", &host, DefaultMemoryVfs());
  if (vfs.Register(false) != SQLITE_OK) return 1;
  std::mt19937_64 rng(seed);
  int64_t crashes = 0, torn = 0, in_commit = 0, failures = 0;
  for (const Mode& mode : kModes) {
    for (int point = 0; point < points; ++point) {
      uint64_t script_seed = rng();
      host.Clear();
      // A dry run counts the operations of this script; the crash comes at a random one.
      std::mt19937_64 dry(script_seed);
      host.ArmCrash(-1);
      { RunScript(Open("wsq-crash").get(), dry, mode); }
      int64_t total = host.ops();
      host.Clear();
      host.ArmCrash(1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(total)));
      std::mt19937_64 run(script_seed);
      Outcome outcome;  // a crash in the open itself: nothing committed
      {
        std::string ignored;
        auto c = TryOpen("wsq-crash", &ignored);
        if (c != nullptr) outcome = RunScript(c.get(), run, mode);
      }  // closing after the crash: its writes are lost too
      bool tear = rng() % 2 == 0;
      torn += host.Reboot(rng, tear);
      ++crashes;
      if (outcome.in_flight) ++in_commit;
      std::string problem;
      auto c = TryOpen("wsq-crash", &problem);
      std::optional<Model> seen = c ? ReadBack(c.get(), &problem) : std::nullopt;
      if (seen && outcome.in_flight && *seen == *outcome.in_flight) continue;
      if (seen && *seen == outcome.committed) continue;
      if (seen && !mode.durable &&
          std::find(outcome.history.begin(), outcome.history.end(), *seen) !=
              outcome.history.end()) {
        continue;  // an earlier committed state: the last commits were lost, nothing else
      }
      if (seen) {
        problem = mode.durable
                      ? "the database holds neither the committed state nor the in-flight commit"
                      : "the database holds no state that was ever committed";
      }
      std::fprintf(stderr, "crash %lld (journal_mode=%s, synchronous=%s, seed %llu): %s\n",
                   static_cast<long long>(crashes), mode.journal, mode.synchronous,
                   static_cast<unsigned long long>(script_seed), problem.c_str());
      if (++failures >= 5) return 1;
    }
  }
  std::printf(
      "crash simulation: %lld crash points over journal modes truncate, delete, persist, wal "
      "(synchronous FULL) and wal (NORMAL) (%lld during COMMIT, %lld torn writes); %s\n",
      static_cast<long long>(crashes), static_cast<long long>(in_commit),
      static_cast<long long>(torn),
      failures ? "FAILURES above"
               : "every committed transaction present (NORMAL: up to some point), none partly "
                 "visible, integrity ok");
  return failures ? 1 : 0;
}
