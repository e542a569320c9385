// I/O fault injection: each host operation (open, read, write, truncate, sync, size, delete)
// fails in turn, at every point a workload reaches it, with an I/O error or "quota exceeded".
// The failure must surface as a typed error of that kind, leave the database intact (the last
// committed state, integrity ok), and the connection must work again once the fault is gone.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"
#include "web_sqlite/host.h"
#include "web_sqlite/vfs.h"

namespace wsq {
namespace {

enum class Op { kOpen, kRead, kWrite, kTruncate, kSync, kSize, kDelete };

const char* Name(Op op) {
  static const char* names[] = {"open", "read", "write", "truncate", "sync", "size", "delete"};
  return names[static_cast<int>(op)];
}

// The native host, with the n-th call of one operation failing with a chosen code.
class FaultHost : public Host {
 public:
  void Arm(Op op, int nth, int code) {
    op_ = op;
    nth_ = nth;
    code_ = code;
    seen_ = 0;
    fired_ = false;
  }
  void Disarm() { nth_ = 0; }
  bool fired() const { return fired_; }

  int Open(std::string_view p, int f, int32_t* h) override {
    return Fault(Op::kOpen) ? code_ : inner_->Open(p, f, h);
  }
  int Close(int32_t h) override { return inner_->Close(h); }
  int Read(int32_t h, uint8_t* b, size_t n, int64_t o, size_t* r) override {
    return Fault(Op::kRead) ? code_ : inner_->Read(h, b, n, o, r);
  }
  int Write(int32_t h, const uint8_t* b, size_t n, int64_t o) override {
    return Fault(Op::kWrite) ? code_ : inner_->Write(h, b, n, o);
  }
  int Truncate(int32_t h, int64_t s) override {
    return Fault(Op::kTruncate) ? code_ : inner_->Truncate(h, s);
  }
  int Sync(int32_t h, int f) override { return Fault(Op::kSync) ? code_ : inner_->Sync(h, f); }
  int Size(int32_t h, int64_t* s) override { return Fault(Op::kSize) ? code_ : inner_->Size(h, s); }
  int Delete(std::string_view p, bool d) override {
    return Fault(Op::kDelete) ? code_ : inner_->Delete(p, d);
  }
  int Access(std::string_view p, int f, bool* r) override { return inner_->Access(p, f, r); }
  void Randomness(uint8_t* b, size_t n) override { inner_->Randomness(b, n); }
  double NowMs() override { return inner_->NowMs(); }
  void Log(int, const char*) override {}

 private:
  bool Fault(Op op) {
    if (nth_ == 0 || op != op_ || ++seen_ != nth_) return false;
    fired_ = true;
    return true;
  }
  Host* inner_ = DefaultHost();
  Op op_ = Op::kOpen;
  int nth_ = 0;
  int code_ = SQLITE_OK;
  int seen_ = 0;
  bool fired_ = false;
};

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(wsq_init(), SQLITE_OK);
    vfs_ = std::make_unique<HostVfs>("wsq-faults", &host_, DefaultMemoryVfs());
    ASSERT_EQ(vfs_->Register(false), SQLITE_OK);
  }
  int Open(const std::string& path, std::unique_ptr<Connection>* c, Error* error) {
    return Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "wsq-faults",
                            test::SuiteKey(), c, error);
  }
  /// The rows and the integrity of the database, read with no fault armed.
  std::string State(const std::string& path) {
    std::unique_ptr<Connection> c;
    Error error;
    EXPECT_EQ(Open(path, &c, &error), SQLITE_OK) << error.message;
    ByteWriter out;
    EXPECT_EQ(c->Exec("PRAGMA integrity_check", nullptr, 0, WSQ_RUN_ROWS, &out, &error), SQLITE_OK);
    std::string check = test::DecodeResult(out.data(), out.size()).rows[0][0].bytes;
    EXPECT_EQ(c->Exec("SELECT count(*) || ':' || total(length(v)) FROM t", nullptr, 0, WSQ_RUN_ROWS,
                      &out, &error),
              SQLITE_OK);
    return check + " " + test::DecodeResult(out.data(), out.size()).rows[0][0].bytes;
  }
  test::TempDir dir_;
  FaultHost host_;
  std::unique_ptr<HostVfs> vfs_;
};

constexpr char kWorkload[] =
    "BEGIN; INSERT INTO t(v) SELECT randomblob(700) FROM t LIMIT 40;"
    " UPDATE t SET v = randomblob(300) WHERE rowid % 3 = 0; DELETE FROM t WHERE rowid % 7 = 0;"
    " COMMIT";

TEST_F(FaultInjectionTest, EveryHostOperationFailingInTurnIsTypedAndHarmless) {
  int injected = 0;
  std::map<std::string, int> per_op;
  for (std::string mode : {"TRUNCATE", "DELETE", "WAL"}) {
    for (int code : {SQLITE_IOERR, SQLITE_FULL}) {
      for (Op op :
           {Op::kOpen, Op::kRead, Op::kWrite, Op::kTruncate, Op::kSync, Op::kSize, Op::kDelete}) {
        for (int nth = 1; nth < 400; ++nth) {
          std::string path = dir_.File("f-" + mode + "-" + Name(op) + "-" + std::to_string(code) +
                                       "-" + std::to_string(nth) + ".db");
          {
            std::unique_ptr<Connection> c;
            Error error;
            ASSERT_EQ(Open(path, &c, &error), SQLITE_OK);
            ByteWriter out;
            ASSERT_EQ(c->Exec("PRAGMA journal_mode=" + mode +
                                  "; CREATE TABLE t(v);"
                                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n"
                                  " WHERE i < 60) INSERT INTO t SELECT randomblob(500) FROM n",
                              nullptr, 0, 0, &out, &error),
                      SQLITE_OK)
                << error.message;
          }
          std::string before = State(path);
          host_.Arm(op, nth, code);
          std::unique_ptr<Connection> c;
          Error error;
          ByteWriter out;
          int rc = Open(path, &c, &error);
          if (rc == SQLITE_OK) {
            rc = c->Exec("PRAGMA journal_mode=" + mode, nullptr, 0, 0, &out, &error);
            if (rc == SQLITE_OK) rc = c->Exec(kWorkload, nullptr, 0, 0, &out, &error);
          }
          bool fired = host_.fired();
          host_.Disarm();
          if (!fired) {
            ASSERT_EQ(rc, SQLITE_OK) << error.message;
            break;  // the workload no longer reaches this operation's nth call
          }
          ++injected;
          ++per_op[Name(op)];
          SCOPED_TRACE(std::string(Name(op)) + " #" + std::to_string(nth) + " failing with " +
                       sqlite3_errstr(code));
          if (rc != SQLITE_OK) {
            // The error is of the injected kind: an I/O error, "full", or (open) cannot open.
            int primary = rc & 0xff;
            EXPECT_TRUE(primary == (code & 0xff) || primary == SQLITE_CANTOPEN ||
                        (code == SQLITE_FULL && primary == SQLITE_IOERR))
                << "rc " << rc << ": " << error.message;
            EXPECT_NE(error.message, "");
          }
          // With the fault gone the same connection works again (if it opened).
          if (c != nullptr) {
            if (!c->autocommit()) c->Exec("ROLLBACK", nullptr, 0, 0, &out, &error);
            EXPECT_EQ(c->Exec("SELECT count(*) FROM t", nullptr, 0, WSQ_RUN_ROWS, &out, &error),
                      SQLITE_OK)
                << error.message;
            c.reset();
          }
          // Intact: integrity ok, and either none of the transaction (then exactly as before) or
          // all of it (a fault after the commit point: 60 + 40 inserted - 14 deleted rows).
          std::string after = State(path);
          EXPECT_EQ(after.substr(0, 3), "ok ") << after;
          if (rc != SQLITE_OK && after.rfind("ok 86:", 0) != 0) {
            EXPECT_EQ(after, before) << "a failed transaction is partly visible";
          }
        }
      }
    }
  }
  std::string detail;
  for (const auto& [op, n] : per_op) detail += " " + op + " " + std::to_string(n);
  std::printf(
      "fault injection: %d faults injected (journal modes TRUNCATE, DELETE and WAL, I/O error"
      " and quota):%s\n",
      injected, detail.c_str());
  EXPECT_EQ(per_op.size(), 7u) << "every operation failed at least once:" << detail;
}

}  // namespace
}  // namespace wsq
