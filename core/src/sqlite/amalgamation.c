// The SQLite amalgamation, compiled in this translation unit so that the record methods of its
// key-value VFS (private to the amalgamation) can be pointed at the host: JsStorageDb keeps its
// pages in localStorage / sessionStorage through them.
#include "sqlite3.c"
#include "web_sqlite/kv_host.h"

#if defined(__wasm__)
// The OS layer's start and end in wasm (see sqlite_config.h): the key-value VFS, and no files.
int wsq_os_init_(void) { return sqlite3KvvfsInit(); }
int wsq_os_end_(void) { return SQLITE_OK; }
#endif

int wsq_kvvfs_install(int (*read)(const char*, const char*, char*, int),
                      int (*write)(const char*, const char*, const char*),
                      int (*remove)(const char*, const char*)) {
  sqlite3KvvfsMethods.xRcrdRead = read;
  sqlite3KvvfsMethods.xRcrdWrite = write;
  sqlite3KvvfsMethods.xRcrdDelete = remove;
  return SQLITE_OK;
}

// The session extension's pre-update hook (private to the amalgamation). A connection keeps its
// own pre-update hook, which notes the tables its commits change, and calls this one for the
// sessions recording it (core/src/connection.cc).
void wsq_session_preupdate(void* sessions, sqlite3* db, int op, const char* schema,
                           const char* table, sqlite3_int64 key1, sqlite3_int64 key2) {
  xPreUpdate(sessions, db, op, schema, table, key1, key2);
}
