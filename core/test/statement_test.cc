// Statements: prepare, bind, step in chunks, columns, reset, finalize, and closing a connection.
#include <gtest/gtest.h>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"

namespace wsq {
namespace {

using test::Params;

class StatementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", &conn_,
                               &error_),
              SQLITE_OK);
    ASSERT_EQ(conn_->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL);"
                          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<10)"
                          " INSERT INTO t SELECT i, 'n' || i, i / 2.0 FROM n",
                          nullptr, 0, 0, &out_, &error_),
              SQLITE_OK)
        << error_.message;
  }
  Statement* Prepare(std::string_view sql) {
    Statement* stmt = nullptr;
    size_t tail = 0;
    EXPECT_EQ(conn_->Prepare(sql, 0, &stmt, &tail, &error_), SQLITE_OK) << error_.message;
    return stmt;
  }
  std::unique_ptr<Connection> conn_;
  ByteWriter out_;
  Error error_;
};

TEST_F(StatementTest, StepsInChunks) {
  Statement* stmt = Prepare("SELECT id FROM t ORDER BY id");
  ASSERT_NE(stmt, nullptr);
  std::vector<int64_t> ids;
  int rc;
  int calls = 0;
  while ((rc = stmt->Step(4, &out_, &error_)) == SQLITE_ROW) {
    test::Result r = test::DecodeResult(out_.data(), out_.size());
    EXPECT_TRUE(r.flags & WSQ_RESULT_MORE);
    EXPECT_EQ(r.rows.size(), 4u);
    for (auto& row : r.rows) ids.push_back(row[0].i);
    ++calls;
  }
  ASSERT_EQ(rc, SQLITE_DONE);
  test::Result last = test::DecodeResult(out_.data(), out_.size());
  EXPECT_FALSE(last.flags & WSQ_RESULT_MORE);
  for (auto& row : last.rows) ids.push_back(row[0].i);
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(ids.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ids[i], i + 1);
}

TEST_F(StatementTest, ColumnsAndDeclaredTypes) {
  Statement* stmt = Prepare("SELECT id, name AS label, score, 1 + 1 FROM t");
  stmt->Columns(&out_);
  test::Columns c = test::DecodeColumns(out_.data(), out_.size());
  EXPECT_EQ(c.names, (std::vector<std::string>{"id", "label", "score", "1 + 1"}));
  EXPECT_EQ(c.decltypes, (std::vector<std::string>{"INTEGER", "TEXT", "REAL", ""}));
  EXPECT_EQ(stmt->column_count(), 4);
  EXPECT_TRUE(stmt->readonly());
}

TEST_F(StatementTest, BindPersistsAcrossResetUntilCleared) {
  Statement* stmt = Prepare("SELECT name FROM t WHERE id = :id");
  auto p = Params::Named();
  p.Int(3, "id");
  const auto& bytes = p.bytes();
  ASSERT_EQ(stmt->Bind(bytes.data(), bytes.size(), &error_), SQLITE_OK);
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(stmt->Step(10, &out_, &error_), SQLITE_DONE);
    test::Result r = test::DecodeResult(out_.data(), out_.size());
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0][0].bytes, "n3");
    stmt->Reset();
  }
  stmt->ClearBindings();
  ASSERT_EQ(stmt->Step(10, &out_, &error_), SQLITE_DONE);
  EXPECT_TRUE(test::DecodeResult(out_.data(), out_.size()).rows.empty());
}

TEST_F(StatementTest, BindOneSetsOneParameterAndLeavesTheOthers) {
  Statement* stmt = Prepare("SELECT ?1, :name, ?3");
  auto bind = [&](Params p, int index) {
    const auto& bytes = p.bytes();
    return stmt->BindOne(bytes.data(), bytes.size(), index, &error_);
  };
  ASSERT_EQ(bind(std::move(Params::Positional().Int(7)), 1), SQLITE_OK);
  ASSERT_EQ(bind(std::move(Params::Named().Text("ada", "name")), 0), SQLITE_OK);
  ASSERT_EQ(stmt->Step(1, &out_, &error_), SQLITE_ROW);
  test::Result r = test::DecodeResult(out_.data(), out_.size());
  EXPECT_EQ(r.rows[0][0].i, 7);
  EXPECT_EQ(r.rows[0][1].bytes, "ada");
  EXPECT_EQ(r.rows[0][2].kind, test::Value::kNull);  // never bound: NULL, as in SQLite
  EXPECT_EQ(bind(std::move(Params::Positional().Int(1)), 4), SQLITE_RANGE);
  EXPECT_NE(error_.message.find("out of range"), std::string::npos);
  EXPECT_EQ(bind(std::move(Params::Named().Int(1, "nope")), 0), SQLITE_RANGE);
  EXPECT_EQ(bind(std::move(Params::Positional().Int(1).Int(2)), 1), SQLITE_MISUSE);
}

TEST_F(StatementTest, BoundTextIsCopied) {
  Statement* stmt = Prepare("SELECT ?");
  {
    auto p = Params::Positional();
    p.Text("copied");
    std::vector<uint8_t> bytes = p.bytes();
    ASSERT_EQ(stmt->Bind(bytes.data(), bytes.size(), &error_), SQLITE_OK);
    std::fill(bytes.begin(), bytes.end(), 0);  // the caller reuses its buffer
  }
  ASSERT_EQ(stmt->Step(1, &out_, &error_), SQLITE_ROW);
  EXPECT_EQ(test::DecodeResult(out_.data(), out_.size()).rows[0][0].bytes, "copied");
}

TEST_F(StatementTest, RunBindsRunsAndResets) {
  Statement* insert = Prepare("INSERT INTO t(name, score) VALUES (?, ?)");
  for (int i = 0; i < 3; ++i) {
    auto p = Params::Positional();
    p.Text("run" + std::to_string(i)).Float(i);
    const auto& bytes = p.bytes();
    ASSERT_EQ(insert->Run(bytes.data(), bytes.size(), 0, &out_, &error_), SQLITE_OK)
        << error_.message;
    test::Result r = test::DecodeResult(out_.data(), out_.size());
    EXPECT_EQ(r.changes, 1);
    EXPECT_EQ(r.last_insert_rowid, 11 + i);
  }
  Statement* all = Prepare("SELECT name FROM t WHERE id > ?");
  auto p = Params::Positional();
  p.Int(10);
  const auto& bytes = p.bytes();
  ASSERT_EQ(all->Run(bytes.data(), bytes.size(), WSQ_RUN_ROWS, &out_, &error_), SQLITE_OK);
  test::Result r = test::DecodeResult(out_.data(), out_.size());
  EXPECT_EQ(r.names, std::vector<std::string>{"name"});
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[2][0].bytes, "run2");
}

TEST_F(StatementTest, StepErrorResetsAndStatementIsReusable) {
  ASSERT_EQ(conn_->Exec("CREATE TABLE u(a UNIQUE)", nullptr, 0, 0, &out_, &error_), SQLITE_OK);
  Statement* insert = Prepare("INSERT INTO u VALUES (?)");
  auto p = Params::Positional();
  p.Int(1);
  const auto& bytes = p.bytes();
  ASSERT_EQ(insert->Run(bytes.data(), bytes.size(), 0, &out_, &error_), SQLITE_OK);
  EXPECT_EQ(insert->Run(bytes.data(), bytes.size(), 0, &out_, &error_), SQLITE_CONSTRAINT_UNIQUE);
  auto q = Params::Positional();
  q.Int(2);
  const auto& more = q.bytes();
  EXPECT_EQ(insert->Run(more.data(), more.size(), 0, &out_, &error_), SQLITE_OK);
}

TEST_F(StatementTest, PrepareReportsTailAndEmptySql) {
  Statement* stmt = nullptr;
  size_t tail = 0;
  std::string sql = "SELECT 1; SELECT 2";
  ASSERT_EQ(conn_->Prepare(sql, 0, &stmt, &tail, &error_), SQLITE_OK);
  ASSERT_NE(stmt, nullptr);
  EXPECT_EQ(sql.substr(tail), " SELECT 2");
  ASSERT_EQ(conn_->Prepare("  -- nothing", 0, &stmt, &tail, &error_), SQLITE_OK);
  EXPECT_EQ(stmt, nullptr);
  EXPECT_EQ(conn_->Prepare("SELEC 1", 0, &stmt, &tail, &error_), SQLITE_ERROR);
  EXPECT_EQ(error_.offset, 0);
}

TEST_F(StatementTest, FinalizeAndCloseReleaseStatements) {
  Statement* a = Prepare("SELECT 1");
  Statement* b = Prepare("SELECT 2");
  uint32_t a_id = a->id();  // a is freed by Finalize
  ASSERT_NE(a_id, b->id());
  EXPECT_EQ(conn_->statement_count(), 2u);
  EXPECT_TRUE(conn_->Finalize(a_id));
  EXPECT_FALSE(conn_->Finalize(a_id));
  EXPECT_EQ(conn_->FindStatement(a_id), nullptr);
  EXPECT_EQ(conn_->FindStatement(b->id()), b);
  // An open statement would make sqlite3_close() fail with SQLITE_BUSY; destroying the
  // connection finalizes it first, so the database really closes.
  sqlite3* db = conn_->db();
  EXPECT_NE(sqlite3_next_stmt(db, nullptr), nullptr);
  conn_.reset();
}

}  // namespace
}  // namespace wsq
