// The C ABI as the host uses it: handles, the response record, and misuse reported, not crashed.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/sqlite.h"

namespace {

using wsq::test::Params;

class CAbiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(wsq_init(), SQLITE_OK);
    ASSERT_EQ(wsq_open(":memory:", 8, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", 0, nullptr, 0,
                       WSQ_KEY_NONE, &conn_),
              SQLITE_OK);
  }
  void TearDown() override {
    if (conn_ != 0) wsq_close(conn_);
  }
  int Exec(const std::string& sql, uint32_t flags = WSQ_RUN_ROWS) {
    return wsq_exec(conn_, sql.data(), sql.size(), nullptr, 0, static_cast<int32_t>(flags));
  }
  wsq::test::DecodedError LastError() {
    const wsq_response* r = wsq_last_response();
    return wsq::test::DecodeError(r->data, r->len);
  }
  wsq::test::Result LastResult() {
    const wsq_response* r = wsq_last_response();
    return wsq::test::DecodeResult(r->data, r->len);
  }
  wsq_conn conn_ = 0;
};

TEST_F(CAbiTest, ExecReturnsRowsThroughTheResponse) {
  ASSERT_EQ(Exec("CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'x'); SELECT * FROM t"),
            SQLITE_OK);
  auto r = LastResult();
  EXPECT_EQ(r.names, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][1].bytes, "x");
}

TEST_F(CAbiTest, ErrorsCarryNameMessageAndOffset) {
  ASSERT_EQ(Exec("SELECT nope FROM nowhere"), SQLITE_ERROR);
  EXPECT_EQ(wsq_last_response()->status, SQLITE_ERROR);
  auto e = LastError();
  EXPECT_EQ(e.name, "SQLITE_ERROR");
  EXPECT_EQ(e.message, "no such table: nowhere");
  ASSERT_EQ(Exec("SELECT 1 FROM t WHERE a = = 2"), SQLITE_ERROR);
  e = LastError();
  EXPECT_EQ(e.message, "near \"=\": syntax error");
  EXPECT_EQ(e.offset, 26);
}

TEST_F(CAbiTest, StatementLifecycle) {
  ASSERT_EQ(Exec("CREATE TABLE t(a)"), SQLITE_OK);
  std::string sql = "INSERT INTO t VALUES (?)";
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  ASSERT_EQ(wsq_prepare(conn_, sql.data(), sql.size(), WSQ_PREPARE_PERSISTENT, &stmt, &tail),
            SQLITE_OK);
  for (int i = 0; i < 3; ++i) {
    auto p = Params::Positional();
    p.Int(i);
    const auto& bytes = p.bytes();
    ASSERT_EQ(wsq_stmt_run(stmt, bytes.data(), bytes.size(), 0), SQLITE_OK);
    EXPECT_EQ(LastResult().last_insert_rowid, i + 1);
  }
  ASSERT_EQ(wsq_stmt_finalize(stmt), SQLITE_OK);
  EXPECT_EQ(wsq_stmt_finalize(stmt), SQLITE_MISUSE);
  EXPECT_NE(LastError().message.find("finalized"), std::string::npos);

  ASSERT_EQ(wsq_conn_state(conn_), SQLITE_OK);
  auto state = LastResult();
  EXPECT_EQ(state.last_insert_rowid, 3);
  EXPECT_TRUE(state.flags & WSQ_RESULT_AUTOCOMMIT);
}

TEST_F(CAbiTest, StepColumnsResetClear) {
  std::string sql = "SELECT ?1 AS v, typeof(?1) AS t";
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  ASSERT_EQ(wsq_prepare(conn_, sql.data(), sql.size(), 0, &stmt, &tail), SQLITE_OK);
  ASSERT_EQ(wsq_stmt_columns(stmt), SQLITE_OK);
  const wsq_response* r = wsq_last_response();
  EXPECT_EQ(wsq::test::DecodeColumns(r->data, r->len).names, (std::vector<std::string>{"v", "t"}));
  auto p = Params::Positional();
  p.Float(1.5);
  const auto& bytes = p.bytes();
  ASSERT_EQ(wsq_stmt_bind(stmt, bytes.data(), bytes.size()), SQLITE_OK);
  ASSERT_EQ(wsq_stmt_step(stmt, 1), SQLITE_ROW);
  EXPECT_EQ(LastResult().rows[0][0].d, 1.5);
  ASSERT_EQ(wsq_stmt_step(stmt, 1), SQLITE_DONE);
  ASSERT_EQ(wsq_stmt_reset(stmt), SQLITE_OK);
  ASSERT_EQ(wsq_stmt_clear_bindings(stmt), SQLITE_OK);
  ASSERT_EQ(wsq_stmt_step(stmt, 5), SQLITE_DONE);
  EXPECT_EQ(LastResult().rows[0][1].bytes, "null");
}

TEST_F(CAbiTest, PrepareAnswersWithTheColumns) {
  std::string sql = "SELECT 1 AS one, 'x' AS two";
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  ASSERT_EQ(wsq_prepare(conn_, sql.data(), sql.size(), 0, &stmt, &tail), SQLITE_OK);
  const wsq_response* r = wsq_last_response();
  EXPECT_EQ(wsq::test::DecodeColumns(r->data, r->len).names,
            (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(wsq_stmt_finalize(stmt), SQLITE_OK);
}

TEST_F(CAbiTest, RunFirstRowStopsAfterOneRowAndResets) {
  ASSERT_EQ(Exec("CREATE TABLE s(v); INSERT INTO s VALUES (1), (2), (3)"), SQLITE_OK);
  std::string sql = "SELECT v FROM s ORDER BY v";
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  ASSERT_EQ(wsq_prepare(conn_, sql.data(), sql.size(), 0, &stmt, &tail), SQLITE_OK);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(wsq_stmt_run(stmt, nullptr, 0, WSQ_RUN_ROWS | WSQ_RUN_FIRST_ROW), SQLITE_OK);
    auto r = LastResult();
    EXPECT_EQ(r.names, (std::vector<std::string>{"v"}));
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0][0].i, 1) << "reset after the first row";
  }
  ASSERT_EQ(wsq_stmt_finalize(stmt), SQLITE_OK);
}

TEST_F(CAbiTest, CursorOpensBindsAndStepsInOneCall) {
  std::string sql =
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
      "SELECT i FROM c";
  auto p = Params::Positional();
  p.Int(5);
  const auto& bytes = p.bytes();
  wsq_stmt cursor = 0;
  ASSERT_EQ(wsq_cursor_open(conn_, sql.data(), sql.size(), bytes.data(), bytes.size(), 3, &cursor),
            SQLITE_ROW);
  ASSERT_NE(cursor, 0u);
  auto first = LastResult();
  EXPECT_EQ(first.names, (std::vector<std::string>{"i"}));
  EXPECT_TRUE(first.flags & WSQ_RESULT_MORE);
  ASSERT_EQ(first.rows.size(), 3u);
  ASSERT_EQ(wsq_stmt_step(cursor, 3), SQLITE_DONE);
  EXPECT_EQ(LastResult().rows.size(), 2u);
  ASSERT_EQ(wsq_stmt_finalize(cursor), SQLITE_OK);
  // All rows in the first chunk: the statement is finalized at once.
  ASSERT_EQ(wsq_cursor_open(conn_, sql.data(), sql.size(), bytes.data(), bytes.size(), 10, &cursor),
            SQLITE_DONE);
  EXPECT_EQ(cursor, 0u);
  EXPECT_EQ(LastResult().rows.size(), 5u);
  EXPECT_EQ(wsq_cursor_open(conn_, " -- none", 8, nullptr, 0, 10, &cursor), SQLITE_MISUSE);
  EXPECT_EQ(wsq_cursor_open(conn_, "SELECT * FROM nowhere", 21, nullptr, 0, 10, &cursor),
            SQLITE_ERROR);
  EXPECT_EQ(cursor, 0u);
}

TEST_F(CAbiTest, AnErrorSaysWhetherTheConnectionIsInAutocommitMode) {
  ASSERT_EQ(Exec("CREATE TABLE u(v UNIQUE); INSERT INTO u VALUES (1)"), SQLITE_OK);
  ASSERT_EQ(Exec("INSERT INTO u VALUES (1)"), SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_EQ(LastError().flags, static_cast<uint32_t>(WSQ_ERROR_AUTOCOMMIT));
  ASSERT_EQ(Exec("BEGIN; INSERT INTO u VALUES (2)"), SQLITE_OK);
  ASSERT_EQ(Exec("INSERT INTO u VALUES (1)"), SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_EQ(LastError().flags, 0u) << "the transaction is still open";
  ASSERT_EQ(Exec("ROLLBACK"), SQLITE_OK);
  EXPECT_EQ(wsq_exec(987654, "SELECT 1", 8, nullptr, 0, 0), SQLITE_MISUSE);
  EXPECT_EQ(LastError().flags, 0u) << "no connection, nothing to say";
}

TEST_F(CAbiTest, TheDeadlineSlotInterruptsAndIsClearedByZero) {
  *wsq_deadline_slot() = 1;  // long past
  std::string endless =
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) "
      "SELECT count(*) FROM c";
  EXPECT_EQ(Exec(endless), SQLITE_INTERRUPT);
  *wsq_deadline_slot() = 0;
  ASSERT_EQ(Exec("SELECT 1"), SQLITE_OK);
}

TEST_F(CAbiTest, ResponseLayoutIsTheCompilers) {
  const uint32_t* layout = wsq_response_layout();
  EXPECT_EQ(layout[0], offsetof(wsq_response, status));
  EXPECT_EQ(layout[1], offsetof(wsq_response, data));
  EXPECT_EQ(layout[2], offsetof(wsq_response, len));
  EXPECT_EQ(layout[3], sizeof(wsq_response));
}

TEST_F(CAbiTest, MalformedParametersAreRejected) {
  std::string sql = "SELECT ?";
  uint8_t junk[] = {WSQ_PARAMS_POSITIONAL, 1, 0, 0, 0, WSQ_TAG_TEXT, 200, 0, 0, 0, 'a'};
  ASSERT_EQ(wsq_exec(conn_, sql.data(), sql.size(), junk, sizeof junk, 0), SQLITE_MISUSE);
  EXPECT_NE(LastError().message.find("malformed parameter buffer"), std::string::npos);
  ASSERT_EQ(Exec("SELECT 1"), SQLITE_OK);
}

TEST_F(CAbiTest, InvalidHandlesAreMisuseNotCrashes) {
  EXPECT_EQ(wsq_exec(987654, "SELECT 1", 8, nullptr, 0, 0), SQLITE_MISUSE);
  EXPECT_NE(LastError().message.find("closed"), std::string::npos);
  EXPECT_EQ(wsq_stmt_step(123456, 1), SQLITE_MISUSE);
  EXPECT_EQ(wsq_stmt_run(0, nullptr, 0, 0), SQLITE_MISUSE);
  EXPECT_EQ(wsq_close(987654), SQLITE_MISUSE);
}

TEST_F(CAbiTest, CloseInvalidatesConnectionAndItsStatements) {
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  ASSERT_EQ(wsq_prepare(conn_, "SELECT 1", 8, 0, &stmt, &tail), SQLITE_OK);
  ASSERT_EQ(wsq_close(conn_), SQLITE_OK);
  EXPECT_EQ(wsq_stmt_step(stmt, 1), SQLITE_MISUSE);
  EXPECT_EQ(Exec("SELECT 1"), SQLITE_MISUSE);
  EXPECT_EQ(wsq_close(conn_), SQLITE_MISUSE);
  conn_ = 0;
}

TEST_F(CAbiTest, ScratchGrowsAndKeepsItsPromise) {
  uint8_t* small = wsq_scratch(16);
  ASSERT_NE(small, nullptr);
  uint8_t* big = wsq_scratch(1 << 20);
  ASSERT_NE(big, nullptr);
  std::memset(big, 7, 1 << 20);
  EXPECT_EQ(wsq_scratch(100), big) << "a smaller request reuses the buffer";
}

TEST(CAbiNames, CodeNames) {
  EXPECT_STREQ(wsq_code_name(SQLITE_OK), "SQLITE_OK");
  EXPECT_STREQ(wsq_code_name(SQLITE_IOERR_SHORT_READ), "SQLITE_IOERR_SHORT_READ");
  EXPECT_STREQ(wsq_code_name(SQLITE_CONSTRAINT | (99 << 8)), "SQLITE_CONSTRAINT");
  EXPECT_STREQ(wsq_code_name(250), "SQLITE_UNKNOWN");
}

}  // namespace
