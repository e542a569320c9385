// The memory VFS: named files shared between connections, locking between them, deletion.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"
#include "web_sqlite/vfs.h"

namespace wsq {
namespace {

class MemoryVfsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(wsq_init(), SQLITE_OK); }
  void TearDown() override { DefaultMemoryVfs()->files().clear(); }

  std::unique_ptr<Connection> Open(const std::string& name) {
    std::unique_ptr<Connection> c;
    Error error;
    EXPECT_EQ(Connection::Open(name, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kMemoryVfsName, &c,
                               &error),
              SQLITE_OK)
        << error.message;
    return c;
  }
  int Exec(Connection* c, std::string_view sql) {
    error_.Clear();
    int rc = c->Exec(sql, nullptr, 0, WSQ_RUN_ROWS, &out_, &error_);
    if (rc == SQLITE_OK) result_ = test::DecodeResult(out_.data(), out_.size());
    return rc;
  }
  ByteWriter out_;
  Error error_;
  test::Result result_;
};

TEST_F(MemoryVfsTest, NamedFileOutlivesItsConnection) {
  {
    auto c = Open("kept.db");
    ASSERT_EQ(Exec(c.get(), "CREATE TABLE t(a); INSERT INTO t VALUES ('still here')"), SQLITE_OK);
  }
  auto& files = DefaultMemoryVfs()->files();
  ASSERT_EQ(files.count("kept.db"), 1u);
  EXPECT_EQ(files.count("kept.db-journal"), 0u) << "the journal is deleted after commit";
  const auto& bytes = files["kept.db"]->bytes;
  ASSERT_GE(bytes.size(), 16u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 16), std::string("SQLite format 3\0", 16));
  auto again = Open("kept.db");
  ASSERT_EQ(Exec(again.get(), "SELECT a FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "still here");
}

TEST_F(MemoryVfsTest, WritesAppendOverlapTheEndAndLeaveZerosInHoles) {
  sqlite3_vfs* vfs = sqlite3_vfs_find(kMemoryVfsName);
  ASSERT_NE(vfs, nullptr);
  std::vector<char> storage(static_cast<size_t>(vfs->szOsFile));
  auto* file = reinterpret_cast<sqlite3_file*>(storage.data());
  int flags = 0;
  ASSERT_EQ(vfs->xOpen(vfs, "bytes.db", file,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MAIN_DB, &flags),
            SQLITE_OK);
  ASSERT_EQ(file->pMethods->xWrite(file, "abcd", 4, 0), SQLITE_OK);  // appended
  ASSERT_EQ(file->pMethods->xWrite(file, "WXYZ", 4, 2), SQLITE_OK);  // over the end
  ASSERT_EQ(file->pMethods->xWrite(file, "q", 1, 10), SQLITE_OK);    // past a hole
  ASSERT_EQ(file->pMethods->xWrite(file, "B", 1, 1), SQLITE_OK);     // inside
  sqlite3_int64 size = 0;
  ASSERT_EQ(file->pMethods->xFileSize(file, &size), SQLITE_OK);
  EXPECT_EQ(size, 11);
  char back[11];
  ASSERT_EQ(file->pMethods->xRead(file, back, sizeof back, 0), SQLITE_OK);
  EXPECT_EQ(std::string(back, sizeof back), std::string("aBWXYZ\0\0\0\0q", 11));
  file->pMethods->xClose(file);
}

TEST_F(MemoryVfsTest, WriterBlocksSecondWriterUntilCommit) {
  auto a = Open("shared.db");
  auto b = Open("shared.db");
  ASSERT_EQ(Exec(a.get(), "CREATE TABLE t(a)"), SQLITE_OK);
  ASSERT_EQ(Exec(a.get(), "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)"), SQLITE_OK);
  EXPECT_EQ(Exec(b.get(), "INSERT INTO t VALUES (2)"), SQLITE_BUSY);
  // Readers see the last committed state while a writer holds RESERVED.
  ASSERT_EQ(Exec(b.get(), "SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 0);
  ASSERT_EQ(Exec(a.get(), "COMMIT"), SQLITE_OK);
  ASSERT_EQ(Exec(b.get(), "INSERT INTO t VALUES (2); SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
}

TEST_F(MemoryVfsTest, ReaderBlocksCommitUntilItFinishes) {
  auto a = Open("readers.db");
  auto b = Open("readers.db");
  ASSERT_EQ(Exec(a.get(), "CREATE TABLE t(a); INSERT INTO t VALUES (1)"), SQLITE_OK);
  ASSERT_EQ(Exec(b.get(), "BEGIN; SELECT * FROM t"), SQLITE_OK);  // b holds SHARED
  ASSERT_EQ(Exec(a.get(), "BEGIN; INSERT INTO t VALUES (2)"), SQLITE_OK);
  EXPECT_EQ(Exec(a.get(), "COMMIT"), SQLITE_BUSY);
  ASSERT_EQ(Exec(b.get(), "COMMIT"), SQLITE_OK);
  ASSERT_EQ(Exec(a.get(), "COMMIT"), SQLITE_OK);
  ASSERT_EQ(Exec(b.get(), "SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
}

TEST_F(MemoryVfsTest, DeleteRemovesTheFile) {
  {
    auto c = Open("gone.db");
    ASSERT_EQ(Exec(c.get(), "CREATE TABLE t(a)"), SQLITE_OK);
  }
  sqlite3_vfs* vfs = DefaultMemoryVfs()->vfs();
  int exists = 0;
  ASSERT_EQ(vfs->xAccess(vfs, "gone.db", SQLITE_ACCESS_EXISTS, &exists), SQLITE_OK);
  EXPECT_EQ(exists, 1);
  EXPECT_EQ(vfs->xDelete(vfs, "gone.db", 0), SQLITE_OK);
  ASSERT_EQ(vfs->xAccess(vfs, "gone.db", SQLITE_ACCESS_EXISTS, &exists), SQLITE_OK);
  EXPECT_EQ(exists, 0);
  EXPECT_EQ(vfs->xDelete(vfs, "gone.db", 0), SQLITE_IOERR_DELETE_NOENT);
}

TEST_F(MemoryVfsTest, OpenWithoutCreateFailsForMissingFile) {
  std::unique_ptr<Connection> c;
  Error error;
  EXPECT_EQ(Connection::Open("missing.db", SQLITE_OPEN_READWRITE, kMemoryVfsName, &c, &error),
            SQLITE_CANTOPEN);
}

TEST_F(MemoryVfsTest, RollbackLeavesNoTrace) {
  auto c = Open("rollback.db");
  ASSERT_EQ(Exec(c.get(), "CREATE TABLE t(a); INSERT INTO t VALUES (1)"), SQLITE_OK);
  ASSERT_EQ(Exec(c.get(), "BEGIN; INSERT INTO t VALUES (2); DELETE FROM t WHERE a = 1; ROLLBACK"),
            SQLITE_OK);
  ASSERT_EQ(Exec(c.get(), "SELECT group_concat(a) FROM t; PRAGMA integrity_check"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "ok");
  ASSERT_EQ(Exec(c.get(), "SELECT group_concat(a) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "1");
}

}  // namespace
}  // namespace wsq
