// Connection: scripts, errors with codes and offsets, the statement cache, 64-bit counters.
#include "web_sqlite/connection.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/host.h"

namespace wsq {
namespace {

using test::Params;

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", &conn_,
                               &error_),
              SQLITE_OK);
  }
  int Exec(std::string_view sql, uint32_t flags = WSQ_RUN_ROWS) {
    error_.Clear();
    int rc = conn_->Exec(sql, nullptr, 0, flags, &out_, &error_);
    if (rc == SQLITE_OK) result_ = test::DecodeResult(out_.data(), out_.size());
    return rc;
  }
  std::unique_ptr<Connection> conn_;
  ByteWriter out_;
  Error error_;
  test::Result result_;
};

TEST_F(ConnectionTest, MultiStatementScriptRunsInOrder) {
  ASSERT_EQ(Exec("CREATE TABLE t(a); INSERT INTO t VALUES(1); INSERT INTO t VALUES(2);\n"
                 "UPDATE t SET a = a * 10; SELECT sum(a) FROM t; -- trailing comment"),
            SQLITE_OK)
      << error_.message;
  ASSERT_EQ(result_.rows.size(), 1u);
  EXPECT_EQ(result_.rows[0][0].i, 30);
  // 1 + 1 + 2 rows changed by the script.
  EXPECT_EQ(result_.changes, 4);
}

TEST_F(ConnectionTest, RowsComeFromTheLastStatementWithColumns) {
  ASSERT_EQ(Exec("SELECT 1 AS a; SELECT 2 AS b; CREATE TABLE x(y)"), SQLITE_OK);
  ASSERT_EQ(result_.names, std::vector<std::string>{"b"});
  EXPECT_EQ(result_.rows[0][0].i, 2);
}

TEST_F(ConnectionTest, EmptyAndCommentOnlyScripts) {
  EXPECT_EQ(Exec(""), SQLITE_OK);
  EXPECT_EQ(Exec("  ;; -- nothing\n /* at all */"), SQLITE_OK);
  EXPECT_EQ(result_.columns, 0u);
}

TEST_F(ConnectionTest, ChangesIgnoreStatementsThatChangeNothing) {
  ASSERT_EQ(Exec("CREATE TABLE t(a); INSERT INTO t VALUES (1),(2),(3)"), SQLITE_OK);
  EXPECT_EQ(result_.changes, 3);
  ASSERT_EQ(Exec("SELECT * FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.changes, 0);
  ASSERT_EQ(Exec("CREATE TABLE u(b)"), SQLITE_OK);
  EXPECT_EQ(result_.changes, 0);
  ASSERT_EQ(Exec("UPDATE t SET a = 0 WHERE a > 1"), SQLITE_OK);
  EXPECT_EQ(result_.changes, 2);
}

TEST_F(ConnectionTest, LastInsertRowidIs64Bit) {
  ASSERT_EQ(Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v);"
                 "INSERT INTO t VALUES (9007199254740993, 'x')"),
            SQLITE_OK);
  EXPECT_EQ(result_.last_insert_rowid, 9007199254740993);
  EXPECT_EQ(conn_->last_insert_rowid(), 9007199254740993);
}

TEST_F(ConnectionTest, SyntaxErrorHasCodeNameAndOffset) {
  // The bad token is in the second statement: the offset counts from the start of the script.
  std::string sql = "SELECT 1; SELECT * FORM t";
  ASSERT_EQ(Exec(sql), SQLITE_ERROR);
  EXPECT_EQ(error_.code, SQLITE_ERROR);
  EXPECT_NE(error_.message.find("near \"FORM\""), std::string::npos) << error_.message;
  EXPECT_EQ(error_.offset, static_cast<int>(sql.find("FORM")));
  ByteWriter encoded;
  error_.Encode(&encoded);
  test::DecodedError e = test::DecodeError(encoded.data(), encoded.size());
  EXPECT_EQ(e.name, "SQLITE_ERROR");
  EXPECT_EQ(e.offset, error_.offset);
}

TEST_F(ConnectionTest, ConstraintErrorIsExtended) {
  ASSERT_EQ(Exec("CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES (1)"), SQLITE_OK);
  ASSERT_EQ(Exec("INSERT INTO t VALUES (1)"), SQLITE_CONSTRAINT_UNIQUE);
  ByteWriter encoded;
  error_.Encode(&encoded);
  test::DecodedError e = test::DecodeError(encoded.data(), encoded.size());
  EXPECT_EQ(e.code, SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_EQ(e.name, "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_EQ(e.message, "UNIQUE constraint failed: t.a");
  // The connection stays usable and the table intact.
  ASSERT_EQ(Exec("SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 1);
}

TEST_F(ConnectionTest, ErrorMidScriptKeepsEarlierStatements) {
  ASSERT_EQ(Exec("CREATE TABLE t(a NOT NULL)"), SQLITE_OK);
  ASSERT_EQ(Exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (NULL); INSERT INTO t VALUES (3)"),
            SQLITE_CONSTRAINT_NOTNULL);
  ASSERT_EQ(Exec("SELECT group_concat(a) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "1");
}

TEST_F(ConnectionTest, StatementCacheReusesSingleStatements) {
  ASSERT_EQ(Exec("CREATE TABLE t(a)"), SQLITE_OK);
  size_t hits = conn_->cache().hits();
  for (int i = 0; i < 5; ++i) {
    auto p = Params::Positional();
    p.Int(i);
    const auto& bytes = p.bytes();
    ASSERT_EQ(
        conn_->Exec("INSERT INTO t VALUES (?)", bytes.data(), bytes.size(), 0, &out_, &error_),
        SQLITE_OK);
  }
  EXPECT_EQ(conn_->cache().hits() - hits, 4u);
  // Scripts of several statements are not cached.
  size_t size = conn_->cache().size();
  ASSERT_EQ(Exec("SELECT 1; SELECT 2"), SQLITE_OK);
  EXPECT_EQ(conn_->cache().size(), size);
  ASSERT_EQ(Exec("SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 5);
}

TEST_F(ConnectionTest, CacheSurvivesSchemaChanges) {
  ASSERT_EQ(Exec("CREATE TABLE t(a); INSERT INTO t VALUES (1)"), SQLITE_OK);
  ASSERT_EQ(Exec("SELECT * FROM t"), SQLITE_OK);
  ASSERT_EQ(Exec("ALTER TABLE t ADD COLUMN b DEFAULT 7"), SQLITE_OK);
  ASSERT_EQ(Exec("SELECT * FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.columns, 2u);
  EXPECT_EQ(result_.rows[0][1].i, 7);
}

TEST_F(ConnectionTest, ParametersBindToOneStatementOfAScript) {
  auto p = Params::Positional();
  p.Int(5);
  const auto& bytes = p.bytes();
  ASSERT_EQ(conn_->Exec("CREATE TABLE t(a); INSERT INTO t VALUES (?); SELECT a FROM t",
                        bytes.data(), bytes.size(), WSQ_RUN_ROWS, &out_, &error_),
            SQLITE_OK)
      << error_.message;
  EXPECT_EQ(test::DecodeResult(out_.data(), out_.size()).rows[0][0].i, 5);
  ASSERT_EQ(conn_->Exec("SELECT ?; SELECT ?", bytes.data(), bytes.size(), 0, &out_, &error_),
            SQLITE_RANGE);
  EXPECT_NE(error_.message.find("run it in a call of its own"), std::string::npos);
  EXPECT_EQ(error_.offset, 10);
}

TEST_F(ConnectionTest, AutocommitAndBusyTimeout) {
  EXPECT_TRUE(conn_->autocommit());
  ASSERT_EQ(Exec("BEGIN"), SQLITE_OK);
  EXPECT_FALSE(conn_->autocommit());
  ASSERT_EQ(Exec("COMMIT"), SQLITE_OK);
  EXPECT_EQ(conn_->SetBusyTimeout(250), SQLITE_OK);
}

TEST_F(ConnectionTest, OpenFailureReportsCantOpen) {
  std::unique_ptr<Connection> other;
  Error error;
  EXPECT_EQ(Connection::Open("/nonexistent-dir/x.db", SQLITE_OPEN_READWRITE, "", &other, &error),
            SQLITE_CANTOPEN);
  EXPECT_EQ(other, nullptr);
  EXPECT_FALSE(error.message.empty());
}

TEST_F(ConnectionTest, CompiledFeaturesArePresent) {
  ASSERT_EQ(
      Exec("CREATE VIRTUAL TABLE f USING fts5(body);"
           "INSERT INTO f VALUES ('hello wasm world');"
           "CREATE VIRTUAL TABLE r USING rtree(id, x0, x1);"
           "SELECT (SELECT count(*) FROM f WHERE f MATCH 'wasm'), json_extract('{\"a\":[1,2]}',"
           " '$.a[1]'), round(sqrt(16.0)), (SELECT count(*) FROM dbstat)"),
      SQLITE_OK)
      << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 1);
  EXPECT_EQ(result_.rows[0][1].i, 2);
  EXPECT_EQ(result_.rows[0][2].d, 4.0);
  EXPECT_GT(result_.rows[0][3].i, 0);
  // Double-quoted strings are identifiers only (SQLITE_DQS=0).
  EXPECT_EQ(Exec("SELECT \"not a column\""), SQLITE_ERROR);
  // Loadable extensions are compiled out.
  EXPECT_EQ(Exec("SELECT load_extension('x')"), SQLITE_ERROR);
}

TEST_F(ConnectionTest, DeadlineInterruptsALongStatementAndTheConnectionStaysUsable) {
  ASSERT_EQ(Exec("CREATE TABLE t(a); INSERT INTO t VALUES (1)"), SQLITE_OK);
  conn_->SetDeadline(DefaultHost()->NowMs() + 20);
  const char* endless =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
  EXPECT_EQ(Exec(endless), SQLITE_INTERRUPT);
  conn_->SetDeadline(0);
  ASSERT_EQ(Exec("SELECT a FROM t"), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 1);
}

TEST_F(ConnectionTest, ExportIsTheDatabaseFileAndIsRefusedInATransaction) {
  ASSERT_EQ(Exec("CREATE TABLE t(a); INSERT INTO t VALUES ('exported')"), SQLITE_OK);
  unsigned char* data = nullptr;
  int64_t size = 0;
  ASSERT_EQ(conn_->Export(&data, &size, &error_), SQLITE_OK) << error_.message;
  ASSERT_GE(size, 512);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(data), 15), "SQLite format 3");
  // The bytes open as the same database.
  std::unique_ptr<Connection> copy;
  ASSERT_EQ(Connection::Open(":memory:", SQLITE_OPEN_READWRITE, "", &copy, &error_), SQLITE_OK);
  ASSERT_EQ(sqlite3_deserialize(copy->db(), "main", data, size, size,
                                SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE),
            SQLITE_OK);
  ASSERT_EQ(copy->Exec("SELECT a FROM t", nullptr, 0, WSQ_RUN_ROWS, &out_, &error_), SQLITE_OK);
  EXPECT_EQ(test::DecodeResult(out_.data(), out_.size()).rows[0][0].bytes, "exported");

  ASSERT_EQ(Exec("BEGIN"), SQLITE_OK);
  EXPECT_EQ(conn_->Export(&data, &size, &error_), SQLITE_MISUSE);
  EXPECT_NE(error_.message.find("transaction"), std::string::npos);
  ASSERT_EQ(Exec("ROLLBACK"), SQLITE_OK);
}

/// The tables TakeCommittedTables lists, as strings; it forgets them.
std::vector<std::string> Committed(Connection* c) {
  ByteWriter out;
  c->TakeCommittedTables(&out);
  return test::DecodeNames(out.data(), out.size());
}

TEST_F(ConnectionTest, CommittedTablesAreListedOnceAndOnlyAfterTheCommit) {
  using Names = std::vector<std::string>;
  ASSERT_EQ(
      Exec("CREATE TABLE t(a); CREATE TABLE u(a); CREATE TABLE w(k PRIMARY KEY) WITHOUT ROWID;"
           "CREATE TEMP TABLE scratch(a)"),
      SQLITE_OK);
  EXPECT_EQ(Committed(conn_.get()), Names{}) << "DDL changes no table's rows";
  ASSERT_EQ(
      Exec("BEGIN; INSERT INTO u VALUES (1); INSERT INTO t VALUES (1); INSERT INTO u VALUES (2)"),
      SQLITE_OK);
  EXPECT_EQ(Committed(conn_.get()), Names{}) << "nothing before the commit";
  EXPECT_FALSE(conn_->has_committed_tables());
  ASSERT_EQ(Exec("COMMIT"), SQLITE_OK);
  EXPECT_TRUE(conn_->has_committed_tables());
  EXPECT_EQ(Committed(conn_.get()), (Names{"u", "t"}));
  EXPECT_EQ(Committed(conn_.get()), Names{}) << "taken once";
  ASSERT_EQ(Exec("BEGIN; INSERT INTO t VALUES (2); ROLLBACK"), SQLITE_OK);
  ASSERT_EQ(Exec("INSERT INTO scratch VALUES (1)"), SQLITE_OK);
  EXPECT_EQ(Committed(conn_.get()), Names{}) << "a rollback, and temp tables, list nothing";
  ASSERT_EQ(Exec("INSERT INTO w VALUES (1); DELETE FROM t; ATTACH ':memory:' AS aux;"
                 "CREATE TABLE aux.x(a); INSERT INTO aux.x VALUES (1)"),
            SQLITE_OK)
      << error_.message;
  EXPECT_EQ(Committed(conn_.get()), (Names{"w", "t", "aux.x"}))
      << "WITHOUT ROWID, a whole-table DELETE, an attached database";
}

}  // namespace
}  // namespace wsq

namespace wsq {
namespace {

// The build without encryption refuses a key, and says that a file in the cipher's format is
// encrypted rather than "file is not a database".
TEST(PlainBuildTest, RefusesKeysAndNamesEncryptedFiles) {
  test::TempDir dir;
  const std::string path = dir.path() + "/sealed.db";
  std::unique_ptr<Connection> c;
  Error error;
  const std::string pass = "k";
  const Key key{WSQ_KEY_PASSPHRASE, reinterpret_cast<const uint8_t*>(pass.data()), pass.size()};
  EXPECT_EQ(Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", key, &c, &error),
            WSQ_NO_CIPHER);
  EXPECT_NE(error.message.find("web-sqlite-cipher.wasm"), std::string::npos);
  EXPECT_EQ(wsq_has_cipher(), 0);
  // A page in the cipher's format: a salt where SQLite writes its name, the header's bytes 16-23
  // as SQLite wrote them (4096-byte pages, 32 reserved bytes).
  std::string page(4096, '\x5a');
  const unsigned char tail[] = {0x10, 0x00, 1, 1, 32, 64, 32, 32};
  page.replace(16, sizeof tail, reinterpret_cast<const char*>(tail), sizeof tail);
  {
    std::ofstream out(path, std::ios::binary);
    out << page;
  }
  error.Clear();
  EXPECT_EQ(Connection::Open(path, SQLITE_OPEN_READWRITE, "", &c, &error), WSQ_KEY_REQUIRED);
  EXPECT_NE(error.message.find("open it with its key"), std::string::npos);
}

}  // namespace
}  // namespace wsq
