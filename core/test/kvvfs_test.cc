// SQLite's key-value VFS over the host's records (natively, the in-memory records of the native
// host): what JsStorageDb stores in localStorage / sessionStorage in browsers.
#include <gtest/gtest.h>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"
#include "web_sqlite/host.h"

namespace wsq {
namespace {

TEST(KvvfsTest, StoresADatabaseInHostRecordsAndReopensIt) {
  ASSERT_EQ(wsq_init(), SQLITE_OK);
  ASSERT_NE(sqlite3_vfs_find("kvvfs"), nullptr);
  ByteWriter out;
  Error error;
  {
    std::unique_ptr<Connection> c;
    ASSERT_EQ(Connection::Open("session", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "kvvfs", &c,
                               &error),
              SQLITE_OK)
        << error.message;
    ASSERT_EQ(c->Exec("CREATE TABLE t(v); INSERT INTO t VALUES ('kept in records')", nullptr, 0, 0,
                      &out, &error),
              SQLITE_OK)
        << error.message;
  }
  // The pages are host records: page 1 and the size record exist.
  char buf[8];
  EXPECT_GT(DefaultHost()->KvRead("session", "1", buf, 0), 0);
  EXPECT_GT(DefaultHost()->KvRead("session", "sz", buf, sizeof buf), 0);
  std::unique_ptr<Connection> again;
  ASSERT_EQ(Connection::Open("session", SQLITE_OPEN_READWRITE, "kvvfs", &again, &error), SQLITE_OK);
  ASSERT_EQ(again->Exec("SELECT v FROM t; PRAGMA integrity_check", nullptr, 0, WSQ_RUN_ROWS, &out,
                        &error),
            SQLITE_OK);
  EXPECT_EQ(test::DecodeResult(out.data(), out.size()).rows[0][0].bytes, "ok");
  ASSERT_EQ(again->Exec("SELECT v FROM t", nullptr, 0, WSQ_RUN_ROWS, &out, &error), SQLITE_OK);
  EXPECT_EQ(test::DecodeResult(out.data(), out.size()).rows[0][0].bytes, "kept in records");
}

}  // namespace
}  // namespace wsq
