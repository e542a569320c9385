// VFS self-test.
//
// Assumes: path names a file nobody else uses (it is created, then deleted). Guarantees: every
// step runs through the VFS's own methods, exactly as SQLite would call them, and reports
// whether it behaved as SQLite requires (short reads zero-filled, sizes exact, locks exclusive);
// a failing step does not stop the later ones unless they depend on it. No file is left behind.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "web_sqlite/host.h"
#include "web_sqlite/result_encoder.h"
#include "web_sqlite/vfs.h"

namespace wsq {
namespace {

constexpr int kBlock = 4096;

class Report {
 public:
  explicit Report(ResultEncoder* encoder) : encoder_(encoder) {
    encoder_->Begin({"step", "ok", "ms", "detail"});
  }
  /// Records a step that began at start (host monotonic clock).
  bool Step(const char* name, bool ok, double start, const std::string& detail) {
    encoder_->AddText(name);
    encoder_->AddInt(ok ? 1 : 0);
    encoder_->AddFloat(DefaultHost()->MonotonicMs() - start);
    encoder_->AddText(detail);
    encoder_->EndRow();
    all_ok_ = all_ok_ && ok;
    return ok;
  }
  bool all_ok() const { return all_ok_; }

 private:
  ResultEncoder* encoder_;
  bool all_ok_ = true;
};

std::string Code(int rc) {
  return std::string(sqlite3_errstr(rc)) + " (" + std::to_string(rc) + ")";
}

/// An open file of the VFS under test, closed on destruction.
struct File {
  explicit File(sqlite3_vfs* vfs) : storage(static_cast<size_t>(vfs->szOsFile)) {}
  ~File() { Close(); }
  sqlite3_file* get() { return reinterpret_cast<sqlite3_file*>(storage.data()); }
  int Close() {
    if (!open) return SQLITE_OK;
    open = false;
    return get()->pMethods->xClose(get());
  }
  std::vector<unsigned char> storage;
  bool open = false;
};

double Now() { return DefaultHost()->MonotonicMs(); }

}  // namespace

bool SelfTest(sqlite3_vfs* vfs, const std::string& path, ResultEncoder* encoder) {
  Report report(encoder);
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MAIN_DB;
  File a(vfs);
  double t = Now();
  int rc = vfs->xOpen(vfs, path.c_str(), a.get(), flags, nullptr);
  a.open = rc == SQLITE_OK && a.get()->pMethods != nullptr;
  if (!report.Step("open", a.open, t, a.open ? path : Code(rc))) return false;
  const sqlite3_io_methods* io = a.get()->pMethods;

  std::vector<unsigned char> data(3 * kBlock);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 7 + 3);
  t = Now();
  rc = io->xWrite(a.get(), data.data(), static_cast<int>(data.size()), 0);
  report.Step("write", rc == SQLITE_OK, t, rc == SQLITE_OK ? "12288 bytes at 0" : Code(rc));

  std::vector<unsigned char> back(data.size());
  t = Now();
  rc = io->xRead(a.get(), back.data(), static_cast<int>(back.size()), 0);
  bool same = rc == SQLITE_OK && back == data;
  report.Step("read", same, t, same ? "12288 bytes match" : rc ? Code(rc) : "bytes differ");

  t = Now();
  rc = io->xSync(a.get(), SQLITE_SYNC_NORMAL);
  report.Step("sync", rc == SQLITE_OK, t, rc == SQLITE_OK ? "flushed" : Code(rc));

  sqlite3_int64 size = -1;
  t = Now();
  rc = io->xFileSize(a.get(), &size);
  report.Step("size", rc == SQLITE_OK && size == 3 * kBlock, t, "size " + std::to_string(size));

  t = Now();
  rc = io->xTruncate(a.get(), kBlock);
  if (rc == SQLITE_OK) rc = io->xFileSize(a.get(), &size);
  report.Step(
      "truncate", rc == SQLITE_OK && size == kBlock, t,
      rc == SQLITE_OK ? "size " + std::to_string(size) + " after truncate to 4096" : Code(rc));

  std::vector<unsigned char> past(kBlock, 0xff);
  t = Now();
  rc = io->xRead(a.get(), past.data(), kBlock, 2 * kBlock);
  bool zeroed = std::all_of(past.begin(), past.end(), [](unsigned char c) { return c == 0; });
  report.Step("short-read", rc == SQLITE_IOERR_SHORT_READ && zeroed, t,
              rc == SQLITE_IOERR_SHORT_READ
                  ? (zeroed ? "SQLITE_IOERR_SHORT_READ, zero-filled" : "not zero-filled")
                  : "expected SQLITE_IOERR_SHORT_READ, got " + Code(rc));

  // Two handles on the same file: an exclusive lock on one keeps the other out.
  File b(vfs);
  t = Now();
  rc = vfs->xOpen(vfs, path.c_str(), b.get(), flags, nullptr);
  b.open = rc == SQLITE_OK;
  bool locks = b.open;
  std::string detail = b.open ? "" : "second open: " + Code(rc);
  if (locks) {
    const sqlite3_io_methods* io_b = b.get()->pMethods;
    int reserved = 0;
    locks = io->xLock(a.get(), SQLITE_LOCK_SHARED) == SQLITE_OK &&
            io->xLock(a.get(), SQLITE_LOCK_RESERVED) == SQLITE_OK &&
            io_b->xCheckReservedLock(b.get(), &reserved) == SQLITE_OK && reserved != 0 &&
            io->xLock(a.get(), SQLITE_LOCK_PENDING) == SQLITE_OK &&
            io->xLock(a.get(), SQLITE_LOCK_EXCLUSIVE) == SQLITE_OK &&
            io_b->xLock(b.get(), SQLITE_LOCK_SHARED) == SQLITE_BUSY &&
            io->xUnlock(a.get(), SQLITE_LOCK_NONE) == SQLITE_OK &&
            io_b->xLock(b.get(), SQLITE_LOCK_SHARED) == SQLITE_OK &&
            io_b->xUnlock(b.get(), SQLITE_LOCK_NONE) == SQLITE_OK;
    detail = locks ? "reserved seen by the other handle; exclusive kept it out; released"
                   : "a lock did not behave as SQLite requires";
  }
  report.Step("lock", locks, t, detail);
  b.Close();

  t = Now();
  rc = a.Close();
  report.Step("close", rc == SQLITE_OK, t, rc == SQLITE_OK ? "closed" : Code(rc));

  int exists = 0;
  t = Now();
  rc = vfs->xAccess(vfs, path.c_str(), SQLITE_ACCESS_EXISTS, &exists);
  report.Step("access", rc == SQLITE_OK && exists != 0, t,
              rc == SQLITE_OK ? (exists ? "exists" : "missing after close") : Code(rc));

  t = Now();
  rc = vfs->xDelete(vfs, path.c_str(), 1);
  if (rc == SQLITE_OK) rc = vfs->xAccess(vfs, path.c_str(), SQLITE_ACCESS_EXISTS, &exists);
  report.Step("delete", rc == SQLITE_OK && exists == 0, t,
              rc == SQLITE_OK ? (exists ? "still exists" : "gone") : Code(rc));
  return report.all_ok();
}

}  // namespace wsq
