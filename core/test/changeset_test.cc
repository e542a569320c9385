// What a watched query reads (Connection::TablesRead), and changesets: record, apply under each
// conflict policy, invert; bad input fails with nothing applied.
#include "web_sqlite/changeset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"

namespace wsq {
namespace {

std::unique_ptr<Connection> OpenMemory() {
  std::unique_ptr<Connection> c;
  Error error;
  EXPECT_EQ(
      Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", &c, &error),
      SQLITE_OK);
  return c;
}

void Exec(Connection* c, std::string_view sql) {
  ByteWriter out;
  Error error;
  ASSERT_EQ(c->Exec(sql, nullptr, 0, 0, &out, &error), SQLITE_OK) << error.message;
}

std::string Dump(Connection* c, std::string_view sql) {
  ByteWriter out;
  Error error;
  EXPECT_EQ(c->Exec(sql, nullptr, 0, WSQ_RUN_ROWS, &out, &error), SQLITE_OK) << error.message;
  std::string text;
  for (const auto& row : test::DecodeResult(out.data(), out.size()).rows) {
    for (const auto& v : row) {
      char number[32];
      if (v.kind == test::Value::kFloat) std::snprintf(number, sizeof number, "%g", v.d);
      text += v.kind == test::Value::kInt     ? std::to_string(v.i)
              : v.kind == test::Value::kFloat ? number
              : v.kind == test::Value::kNull  ? "null"
                                              : v.bytes;
      text += ",";
    }
    text += ";";
  }
  return text;
}

std::vector<std::string> TablesRead(Connection* c, std::string_view sql, int* rc = nullptr) {
  ByteWriter out;
  Error error;
  int status = c->TablesRead(sql, &out, &error);
  if (rc != nullptr) *rc = status;
  return test::DecodeNames(out.data(), out.size());
}

std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

TEST(TablesReadTest, NamesTheTablesAQueryReadsThroughViewsAndSubqueries) {
  auto c = OpenMemory();
  Exec(c.get(),
       "CREATE TABLE a(id INTEGER PRIMARY KEY, x); CREATE TABLE b(a_id, y); CREATE TABLE c(z);"
       "CREATE VIEW v AS SELECT x, y FROM a JOIN b ON b.a_id = a.id;"
       "CREATE TEMP TABLE scratch(w); ATTACH ':memory:' AS aux; CREATE TABLE aux.d(q)");
  EXPECT_EQ(TablesRead(c.get(), "SELECT * FROM a"), std::vector<std::string>{"a"});
  EXPECT_EQ(TablesRead(c.get(), "SELECT count(*) FROM c"), std::vector<std::string>{"c"});
  EXPECT_EQ(TablesRead(c.get(), "SELECT count(*) FROM C"), std::vector<std::string>{"c"});
  EXPECT_EQ(TablesRead(c.get(), "SELECT count(*) FROM d"), std::vector<std::string>{"aux.d"});
  // The view is named too (a view has no rows of its own: no commit names it).
  EXPECT_EQ(Sorted(TablesRead(c.get(), "SELECT * FROM v")),
            (std::vector<std::string>{"a", "b", "v"}));
  EXPECT_EQ(Sorted(TablesRead(c.get(),
                              "WITH w AS (SELECT z FROM c) SELECT (SELECT max(x) FROM "
                              "a), * FROM w, aux.d, scratch")),
            (std::vector<std::string>{"a", "aux.d", "c"}));
  EXPECT_TRUE(TablesRead(c.get(), "SELECT 1").empty());
  int rc = 0;
  TablesRead(c.get(), "SELECT * FROM nowhere", &rc);
  EXPECT_EQ(rc, SQLITE_ERROR);
  TablesRead(c.get(), "-- nothing", &rc);
  EXPECT_EQ(rc, SQLITE_MISUSE);
  // The connection works as before, with no authorizer left behind.
  EXPECT_EQ(Dump(c.get(), "INSERT INTO a(x) VALUES (1); SELECT x FROM a"), "1,;");
}

TEST(TablesReadTest, AVirtualTableBringsItsShadowTables) {
  auto c = OpenMemory();
  Exec(c.get(), "CREATE VIRTUAL TABLE notes USING fts5(body); CREATE TABLE notes_extra(k)");
  std::vector<std::string> names = TablesRead(c.get(), "SELECT * FROM notes WHERE notes MATCH 'x'");
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "notes");
  EXPECT_NE(std::find(names.begin(), names.end(), "notes_data"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "notes_content"), names.end());
  // A table that only shares the prefix is not a shadow table.
  EXPECT_EQ(std::find(names.begin(), names.end(), "notes_extra"), names.end());
}

class ChangesetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* c : {&a_, &b_}) {
      *c = OpenMemory();
      Exec(c->get(),
           "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE);"
           "CREATE TABLE plain(x)");
    }
  }
  /// The changeset of work done on a_.
  std::string Record(std::string_view work) {
    uint32_t id = 0;
    Error error;
    EXPECT_EQ(a_->StartSession(&id, &error), SQLITE_OK) << error.message;
    Exec(a_.get(), work);
    SqliteBytes bytes;
    size_t size = 0;
    EXPECT_EQ(a_->FindSession(id)->Changeset(&bytes, &size, &error), SQLITE_OK);
    EXPECT_TRUE(a_->EndSession(id));
    return std::string(reinterpret_cast<char*>(bytes.get()), size);
  }
  int Apply(Connection* c, const std::string& changeset, ConflictPolicy policy,
            int64_t* conflicts = nullptr) {
    int64_t n = 0;
    error_.Clear();
    int rc = ApplyChangeset(c->db(), reinterpret_cast<const uint8_t*>(changeset.data()),
                            changeset.size(), policy, &n, &error_);
    if (conflicts != nullptr) *conflicts = n;
    return rc;
  }
  std::unique_ptr<Connection> a_, b_;
  Error error_;
};

TEST_F(ChangesetTest, RecordApplyInvert) {
  std::string changes = Record(
      "INSERT INTO t VALUES (1, 'one'), (2, 'two'); INSERT INTO plain VALUES ('no key');"
      "UPDATE t SET v = 'TWO' WHERE id = 2");
  ASSERT_FALSE(changes.empty());
  ASSERT_EQ(Apply(b_.get(), changes, ConflictPolicy::kAbort), SQLITE_OK) << error_.message;
  EXPECT_EQ(Dump(b_.get(), "SELECT * FROM t ORDER BY id"), "1,one,;2,TWO,;");
  EXPECT_EQ(Dump(b_.get(), "SELECT * FROM plain"), "no key,;");

  SqliteBytes inverse;
  size_t size = 0;
  ASSERT_EQ(InvertChangeset(reinterpret_cast<const uint8_t*>(changes.data()), changes.size(),
                            &inverse, &size, &error_),
            SQLITE_OK);
  std::string undo(reinterpret_cast<char*>(inverse.get()), size);
  ASSERT_EQ(Apply(b_.get(), undo, ConflictPolicy::kAbort), SQLITE_OK) << error_.message;
  EXPECT_EQ(Dump(b_.get(), "SELECT count(*) FROM t"), "0,;");
  EXPECT_EQ(Dump(b_.get(), "SELECT count(*) FROM plain"), "0,;");
}

TEST_F(ChangesetTest, ConflictsUnderEachPolicy) {
  Exec(b_.get(), "INSERT INTO t VALUES (1, 'theirs')");
  std::string changes = Record("INSERT INTO t VALUES (1, 'ours'), (3, 'three')");
  int64_t conflicts = 0;

  EXPECT_EQ(Apply(b_.get(), changes, ConflictPolicy::kAbort), SQLITE_ABORT);
  EXPECT_NE(error_.message.find("already there"), std::string::npos) << error_.message;
  EXPECT_NE(error_.message.find("table 't'"), std::string::npos) << error_.message;
  EXPECT_EQ(Dump(b_.get(), "SELECT * FROM t ORDER BY id"), "1,theirs,;");  // nothing applied

  ASSERT_EQ(Apply(b_.get(), changes, ConflictPolicy::kOmit, &conflicts), SQLITE_OK);
  EXPECT_EQ(conflicts, 1);
  EXPECT_EQ(Dump(b_.get(), "SELECT * FROM t ORDER BY id"), "1,theirs,;3,three,;");

  Exec(b_.get(), "DELETE FROM t WHERE id = 3");
  ASSERT_EQ(Apply(b_.get(), changes, ConflictPolicy::kReplace, &conflicts), SQLITE_OK);
  EXPECT_EQ(conflicts, 1);
  EXPECT_EQ(Dump(b_.get(), "SELECT * FROM t ORDER BY id"), "1,ours,;3,three,;");
}

TEST_F(ChangesetTest, AnUpdateOfARowThatIsGoneOrChanged) {
  Exec(a_.get(), "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
  Exec(b_.get(), "INSERT INTO t VALUES (2, 'changed there')");
  std::string changes = Record("UPDATE t SET v = v || '!'");
  int64_t conflicts = 0;
  EXPECT_EQ(Apply(b_.get(), changes, ConflictPolicy::kAbort), SQLITE_ABORT);
  ASSERT_EQ(Apply(b_.get(), changes, ConflictPolicy::kReplace, &conflicts), SQLITE_OK);
  EXPECT_EQ(conflicts, 2);  // row 1 is not there (left out), row 2 differs (replaced)
  EXPECT_EQ(Dump(b_.get(), "SELECT * FROM t ORDER BY id"), "2,two!,;");
}

TEST_F(ChangesetTest, AConstraintOmittedOrAborting) {
  Exec(b_.get(), "INSERT INTO t VALUES (9, 'one')");
  std::string changes = Record("INSERT INTO t VALUES (1, 'one'), (2, 'two')");
  EXPECT_EQ(Apply(b_.get(), changes, ConflictPolicy::kReplace), SQLITE_ABORT);
  EXPECT_NE(error_.message.find("constraint"), std::string::npos) << error_.message;
  EXPECT_EQ(Dump(b_.get(), "SELECT count(*) FROM t"), "1,;");
  int64_t conflicts = 0;
  ASSERT_EQ(Apply(b_.get(), changes, ConflictPolicy::kOmit, &conflicts), SQLITE_OK);
  EXPECT_EQ(conflicts, 1);
  EXPECT_EQ(Dump(b_.get(), "SELECT id FROM t ORDER BY id"), "2,;9,;");
}

TEST_F(ChangesetTest, BadInputAppliesNothing) {
  std::string changes = Record("INSERT INTO t VALUES (1, 'one'); INSERT INTO plain VALUES (1)");
  Exec(b_.get(), "DROP TABLE plain");
  EXPECT_EQ(Apply(b_.get(), changes, ConflictPolicy::kOmit), SQLITE_SCHEMA);
  EXPECT_NE(error_.message.find("'plain'"), std::string::npos) << error_.message;
  EXPECT_EQ(Dump(b_.get(), "SELECT count(*) FROM t"), "0,;");

  std::string junk = "definitely not a changeset";
  EXPECT_EQ(Apply(b_.get(), junk, ConflictPolicy::kOmit), SQLITE_CORRUPT) << error_.message;
  SqliteBytes out;
  size_t size = 0;
  EXPECT_EQ(InvertChangeset(reinterpret_cast<const uint8_t*>(junk.data()), junk.size(), &out, &size,
                            &error_),
            SQLITE_CORRUPT);
  EXPECT_EQ(Dump(b_.get(), "SELECT count(*) FROM t"), "0,;");
}

TEST_F(ChangesetTest, SessionsAndTheNotesOfChangedTablesSeeEveryWrite) {
  ByteWriter taken;
  a_->TakeCommittedTables(&taken);
  uint32_t outer = 0, inner = 0;
  Error error;
  ASSERT_EQ(a_->StartSession(&outer, &error), SQLITE_OK);
  Exec(a_.get(), "INSERT INTO t VALUES (1, 'one')");
  ASSERT_EQ(a_->StartSession(&inner, &error), SQLITE_OK);
  Exec(a_.get(), "INSERT INTO plain VALUES (2)");
  auto size_of = [&](uint32_t id) {
    SqliteBytes bytes;
    size_t size = 0;
    EXPECT_EQ(a_->FindSession(id)->Changeset(&bytes, &size, &error), SQLITE_OK);
    return size;
  };
  size_t both = size_of(outer);
  size_t one = size_of(inner);
  EXPECT_GT(one, 0u);
  EXPECT_GT(both, one);
  EXPECT_TRUE(a_->EndSession(outer));
  Exec(a_.get(), "INSERT INTO plain VALUES (3)");
  EXPECT_GT(size_of(inner), one);
  EXPECT_TRUE(a_->EndSession(inner));
  EXPECT_FALSE(a_->EndSession(inner));
  Exec(a_.get(), "INSERT INTO t VALUES (4, 'four')");
  ByteWriter out;
  a_->TakeCommittedTables(&out);
  EXPECT_EQ(test::DecodeNames(out.data(), out.size()), (std::vector<std::string>{"t", "plain"}));
}

TEST_F(ChangesetTest, ASessionEndsBeforeItsConnectionCloses) {
  uint32_t id = 0;
  Error error;
  ASSERT_EQ(a_->StartSession(&id, &error), SQLITE_OK);
  Exec(a_.get(), "INSERT INTO t VALUES (1, 'one')");
  a_.reset();  // (ASan: nothing leaks, nothing is used after the close)
}

TEST(PercentileTest, TheFunctionsOfThePercentileExtension) {
  auto c = OpenMemory();
  Exec(c.get(), "CREATE TABLE m(x); INSERT INTO m VALUES (1), (2), (3), (4), (10)");
  EXPECT_EQ(Dump(c.get(),
                 "SELECT median(x), percentile(x, 50), percentile_cont(x, 0.25), "
                 "percentile_disc(x, 0.5) FROM m"),
            "3,3,2,3,;");
}

}  // namespace
}  // namespace wsq
