// The host-file VFS over the native host and over a recording double of the seam.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"
#include "web_sqlite/result_encoder.h"
#include "web_sqlite/vfs.h"

namespace wsq {
namespace {

// Forwards to the native host and counts calls per operation and per path.
class RecordingHost : public Host {
 public:
  int Open(std::string_view path, int flags, int32_t* handle) override {
    ++calls["open"];
    opened.emplace_back(path);
    int rc = inner->Open(path, flags, handle);
    if (rc == SQLITE_OK) paths[*handle] = std::string(path);
    return rc;
  }
  int Close(int32_t h) override {
    ++calls["close"];
    return inner->Close(h);
  }
  int Read(int32_t h, uint8_t* b, size_t n, int64_t o, size_t* r) override {
    ++calls["read"];
    return inner->Read(h, b, n, o, r);
  }
  int Write(int32_t h, const uint8_t* b, size_t n, int64_t o) override {
    ++calls["write"];
    return inner->Write(h, b, n, o);
  }
  int Truncate(int32_t h, int64_t s) override {
    ++calls["truncate"];
    return inner->Truncate(h, s);
  }
  int Sync(int32_t h, int f) override {
    ++calls["sync"];
    synced.push_back(paths[h]);
    return inner->Sync(h, f);
  }
  int Size(int32_t h, int64_t* s) override {
    ++calls["size"];
    return inner->Size(h, s);
  }
  int Delete(std::string_view p, bool d) override {
    ++calls["delete"];
    return inner->Delete(p, d);
  }
  int Access(std::string_view p, int f, bool* r) override {
    ++calls["access"];
    return inner->Access(p, f, r);
  }
  void Randomness(uint8_t* b, size_t n) override { inner->Randomness(b, n); }
  double NowMs() override { return inner->NowMs(); }
  void Log(int code, const char* message) override {}

  Host* inner = DefaultHost();
  std::map<std::string, int> calls;
  std::map<int32_t, std::string> paths;
  std::vector<std::string> opened;
  std::vector<std::string> synced;
};

class HostVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(wsq_init(), SQLITE_OK);
    vfs_ = std::make_unique<HostVfs>("wsq-host-recording", &host_, DefaultMemoryVfs());
    ASSERT_EQ(vfs_->Register(false), SQLITE_OK);
  }
  std::unique_ptr<Connection> Open(const std::string& path, const char* vfs) {
    std::unique_ptr<Connection> c;
    Error error;
    EXPECT_EQ(Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs, &c, &error),
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
  test::TempDir dir_;
  RecordingHost host_;
  std::unique_ptr<HostVfs> vfs_;
  ByteWriter out_;
  Error error_;
  test::Result result_;
};

TEST_F(HostVfsTest, WritesARealDatabaseFile) {
  std::string path = dir_.File("real.db");
  {
    auto c = Open(path, kHostVfsName);
    ASSERT_EQ(Exec(c.get(), "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'one'), (2, 'two')"),
              SQLITE_OK);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + "-journal"));
  std::ifstream file(path, std::ios::binary);
  char header[16];
  file.read(header, 16);
  EXPECT_EQ(std::string(header, 16), std::string("SQLite format 3\0", 16));
  // The unix VFS of the same SQLite reads what the host VFS wrote.
  auto native = Open(path, "unix");
  ASSERT_EQ(Exec(native.get(), "SELECT group_concat(b) FROM t; PRAGMA integrity_check"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "ok");
  ASSERT_EQ(Exec(native.get(), "SELECT group_concat(b) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "one,two");
}

TEST_F(HostVfsTest, CommitSyncsJournalAndDatabase) {
  std::string path = dir_.File("sync.db");
  auto c = Open(path, "wsq-host-recording");
  ASSERT_EQ(Exec(c.get(), "PRAGMA synchronous=FULL; CREATE TABLE t(a)"), SQLITE_OK);
  host_.synced.clear();
  ASSERT_EQ(Exec(c.get(), "INSERT INTO t VALUES (1)"), SQLITE_OK);
  // Rollback journal protocol: the journal reaches disk before the database is overwritten.
  ASSERT_GE(host_.synced.size(), 2u);
  EXPECT_EQ(host_.synced.front(), path + "-journal");
  EXPECT_EQ(host_.synced.back(), path);
  EXPECT_GT(host_.calls["delete"], 0) << "the journal is deleted at commit";
}

TEST_F(HostVfsTest, TempFilesNeverReachTheHost) {
  std::string path = dir_.File("temp.db");
  auto c = Open(path, "wsq-host-recording");
  ASSERT_EQ(Exec(c.get(),
                 "PRAGMA temp_store=FILE; CREATE TEMP TABLE scratch(a);"
                 "WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v+1 FROM s WHERE v<2000)"
                 " INSERT INTO scratch SELECT v FROM s;"
                 "SELECT count(*) FROM (SELECT a FROM scratch ORDER BY random())"),
            SQLITE_OK)
      << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 2000);
  for (const std::string& opened : host_.opened) {
    EXPECT_EQ(opened.rfind(path, 0), 0u) << "unexpected host file " << opened;
  }
}

TEST_F(HostVfsTest, DataSurvivesReopen) {
  std::string path = dir_.File("reopen.db");
  {
    auto c = Open(path, kHostVfsName);
    ASSERT_EQ(Exec(c.get(),
                   "CREATE TABLE t(a); BEGIN; WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL"
                   " SELECT v+1 FROM s WHERE v<10000) INSERT INTO t SELECT v FROM s; COMMIT"),
              SQLITE_OK)
        << error_.message;
  }
  auto c = Open(path, kHostVfsName);
  ASSERT_EQ(Exec(c.get(), "SELECT count(*), sum(a) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 10000);
  EXPECT_EQ(result_.rows[0][1].i, 50005000);
}

TEST_F(HostVfsTest, TwoConnectionsOnOneFileAreSerialized) {
  std::string path = dir_.File("two.db");
  auto a = Open(path, kHostVfsName);
  auto b = Open(path, kHostVfsName);
  ASSERT_EQ(Exec(a.get(), "CREATE TABLE t(a); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)"),
            SQLITE_OK);
  EXPECT_EQ(Exec(b.get(), "INSERT INTO t VALUES (2)"), SQLITE_BUSY);
  ASSERT_EQ(Exec(a.get(), "COMMIT"), SQLITE_OK);
  ASSERT_EQ(Exec(b.get(), "INSERT INTO t VALUES (2); SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
}

TEST_F(HostVfsTest, ReadOnlyMissingFileCannotOpen) {
  std::unique_ptr<Connection> c;
  Error error;
  EXPECT_EQ(
      Connection::Open(dir_.File("absent.db"), SQLITE_OPEN_READONLY, kHostVfsName, &c, &error),
      SQLITE_CANTOPEN);
}

TEST_F(HostVfsTest, ShortReadOfTruncatedFileIsZeroFilled) {
  std::string path = dir_.File("short.bin");
  { std::ofstream(path, std::ios::binary) << "abc"; }
  sqlite3_vfs* vfs = vfs_->vfs();
  std::vector<uint8_t> mem(static_cast<size_t>(vfs->szOsFile));
  auto* file = reinterpret_cast<sqlite3_file*>(mem.data());
  int out_flags = 0;
  ASSERT_EQ(
      vfs->xOpen(vfs, path.c_str(), file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MAIN_DB, &out_flags),
      SQLITE_OK);
  char buf[8];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_EQ(file->pMethods->xRead(file, buf, 8, 0), SQLITE_IOERR_SHORT_READ);
  EXPECT_EQ(std::string(buf, 8), std::string("abc\0\0\0\0\0", 8));
  sqlite3_int64 size = 0;
  EXPECT_EQ(file->pMethods->xFileSize(file, &size), SQLITE_OK);
  EXPECT_EQ(size, 3);
  EXPECT_EQ(file->pMethods->xTruncate(file, 1), SQLITE_OK);
  EXPECT_EQ(file->pMethods->xFileSize(file, &size), SQLITE_OK);
  EXPECT_EQ(size, 1);
  EXPECT_EQ(file->pMethods->xClose(file), SQLITE_OK);
}

}  // namespace
}  // namespace wsq

namespace wsq {
namespace {

TEST_F(HostVfsTest, CountsIoPerDatabaseWithItsJournal) {
  std::string path = dir_.File("stats.db");
  auto c = Open(path, "wsq-host-recording");
  ASSERT_EQ(
      Exec(c.get(), "PRAGMA synchronous=FULL; PRAGMA journal_mode=TRUNCATE; CREATE TABLE t(a)"),
      SQLITE_OK);
  IoStats before = *vfs_->FindStats(path);
  ASSERT_EQ(Exec(c.get(), "INSERT INTO t VALUES (randomblob(10000))"), SQLITE_OK);
  const IoStats* after = vfs_->FindStats(path);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(vfs_->FindStats(path + "-journal"), nullptr) << "the journal counts for its database";
  // One commit: journal x2, database, journal after its truncation.
  EXPECT_EQ(after->syncs - before.syncs, 4u);
  EXPECT_EQ(after->truncates - before.truncates, 1u);
  EXPECT_GT(after->writes, before.writes);
  EXPECT_GE(after->write_bytes - before.write_bytes, 10000u);
  EXPECT_GE(after->sync_ms, before.sync_ms);
}

TEST_F(HostVfsTest, WalCommitFlushesOnlyTheWalAndReadersSeeASnapshot) {
  std::string path = dir_.File("wal.db");
  auto writer = Open(path, "wsq-host-recording");
  ASSERT_EQ(Exec(writer.get(), "PRAGMA journal_mode=WAL"), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].bytes, "wal");
  ASSERT_EQ(
      Exec(writer.get(), "PRAGMA synchronous=FULL; CREATE TABLE t(a); INSERT INTO t VALUES (1)"),
      SQLITE_OK);
  host_.synced.clear();
  ASSERT_EQ(Exec(writer.get(), "INSERT INTO t VALUES (2)"), SQLITE_OK);
  EXPECT_EQ(host_.synced, std::vector<std::string>{path + "-wal"}) << "one flush per commit";
  EXPECT_FALSE(std::filesystem::exists(path + "-shm")) << "the WAL index is in memory";

  // A reader in a transaction keeps its snapshot while the writer commits (no SQLITE_BUSY).
  auto reader = Open(path, "wsq-host-recording");
  ASSERT_EQ(Exec(reader.get(), "BEGIN; SELECT count(*) FROM t"), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 2);
  ASSERT_EQ(Exec(writer.get(), "INSERT INTO t VALUES (3)"), SQLITE_OK) << error_.message;
  ASSERT_EQ(Exec(reader.get(), "SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
  ASSERT_EQ(Exec(reader.get(), "COMMIT; SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 3);
  // Two writers are still one at a time.
  ASSERT_EQ(Exec(writer.get(), "BEGIN IMMEDIATE"), SQLITE_OK);
  EXPECT_EQ(Exec(reader.get(), "INSERT INTO t VALUES (4)"), SQLITE_BUSY);
  ASSERT_EQ(Exec(writer.get(), "COMMIT"), SQLITE_OK);
}

TEST_F(HostVfsTest, WalIsCheckpointedAndRecoveredAfterTheLastConnection) {
  std::string path = dir_.File("wal-reopen.db");
  {
    auto c = Open(path, kHostVfsName);
    ASSERT_EQ(
        Exec(c.get(), "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=100; CREATE TABLE t(a)"),
        SQLITE_OK)
        << error_.message;
    for (int i = 0; i < 400; ++i) {
      ASSERT_EQ(Exec(c.get(), "INSERT INTO t VALUES (randomblob(3000))"), SQLITE_OK);
    }
    // Checkpoints keep the WAL near 100 pages (400 commits of a page each would be 1.6 MB).
    EXPECT_LT(std::filesystem::file_size(path + "-wal"), 800'000u);
    // What is only in the WAL when the process ends must come back: copy both files as a crash
    // would leave them (and no WAL index, which was memory).
    ASSERT_EQ(Exec(c.get(), "PRAGMA wal_autocheckpoint=0; INSERT INTO t VALUES (2)"), SQLITE_OK);
    std::filesystem::copy_file(path, path + ".copy");
    std::filesystem::copy_file(path + "-wal", path + ".copy-wal");
  }
  EXPECT_FALSE(std::filesystem::exists(path + "-wal")) << "the last close checkpoints";
  auto c = Open(path + ".copy", kHostVfsName);
  ASSERT_EQ(Exec(c.get(), "SELECT count(*), sum(a IS 2) FROM t"), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 401);
  EXPECT_EQ(result_.rows[0][1].i, 1);
  ASSERT_EQ(Exec(c.get(), "PRAGMA integrity_check"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "ok");
}

TEST(SelfTest, PassesOnTheHostAndMemoryVfses) {
  ASSERT_EQ(wsq_init(), SQLITE_OK);
  test::TempDir dir;
  for (const char* name : {kHostVfsName, kMemoryVfsName}) {
    ByteWriter out;
    ResultEncoder encoder(&out);
    std::string path = std::string(name) == kHostVfsName ? dir.File("selftest") : "selftest";
    EXPECT_TRUE(SelfTest(sqlite3_vfs_find(name), path, &encoder)) << name;
    encoder.Finish(0, 0, 0);
    test::Result r = test::DecodeResult(out.data(), out.size());
    ASSERT_EQ(r.rows.size(), 11u) << name;
    for (const auto& row : r.rows)
      EXPECT_EQ(row[1].i, 1) << name << ": " << row[0].bytes << " " << row[3].bytes;
    EXPECT_FALSE(std::filesystem::exists(path)) << "no file is left behind";
  }
}

}  // namespace
}  // namespace wsq
