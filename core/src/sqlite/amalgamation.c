// The SQLite amalgamation, compiled in this translation unit so that the record methods of its
// key-value VFS (private to the amalgamation) can be pointed at the host: JsStorageDb keeps its
// pages in localStorage / sessionStorage through them.
#include "sqlite3.c"
#include "web_sqlite/kv_host.h"

int wsq_kvvfs_install(int (*read)(const char*, const char*, char*, int),
                      int (*write)(const char*, const char*, const char*),
                      int (*remove)(const char*, const char*)) {
  sqlite3KvvfsMethods.xRcrdRead = read;
  sqlite3KvvfsMethods.xRcrdWrite = write;
  sqlite3KvvfsMethods.xRcrdDelete = remove;
  return SQLITE_OK;
}
