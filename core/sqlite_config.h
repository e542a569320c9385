// Every SQLite compile-time option of web-sqlite, alphabetized. The amalgamation includes this
// file through SQLITE_CUSTOM_INCLUDE; the core includes it through web_sqlite/sqlite.h.
#ifndef WEB_SQLITE_SQLITE_CONFIG_H_
#define WEB_SQLITE_SQLITE_CONFIG_H_

// A 16 MiB page cache per connection (SQLite's default is 2 MB): a large write transaction then
// does not spill pages into the database before COMMIT, each spill costing a journal flush.
#define SQLITE_DEFAULT_CACHE_SIZE -16384
#define SQLITE_DEFAULT_FOREIGN_KEYS 0
// Memory statistics on: SQLite enforces its hard heap limit (wsq_init sets it) only with them.
#define SQLITE_DEFAULT_MEMSTATUS 1
#define SQLITE_DEFAULT_WAL_SYNCHRONOUS 1
#define SQLITE_DQS 0
#define SQLITE_ENABLE_DBSTAT_VTAB 1
#define SQLITE_ENABLE_FTS5 1
#define SQLITE_ENABLE_MATH_FUNCTIONS 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#define SQLITE_ENABLE_RTREE 1
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_LIKE_DOESNT_MATCH_BLOBS 1
// The longest string or blob: 128 MiB, an eighth of the heap limit (WSQ_DEFAULT_HEAP_LIMIT), so a
// value that keeps growing fails with SQLITE_TOOBIG while its copies (a recursive query holds a
// few) still fit in the heap.
#define SQLITE_MAX_LENGTH 134217728
#define SQLITE_MAX_MMAP_SIZE 0
#define SQLITE_MAX_SQL_LENGTH 134217728
#define SQLITE_OMIT_DEPRECATED 1
#define SQLITE_OMIT_LOAD_EXTENSION 1
#define SQLITE_OMIT_SHARED_CACHE 1
#if defined(__wasm__)
// No operating system in wasm: the OS layer is SQLite's key-value one (kvvfs, for JsStorageDb),
// and wsq_init registers the core's VFSes, the host-file VFS as the default. SQLITE_OS_KV also
// compiles WAL out (SQLITE_OMIT_WAL) and keeps temp files in memory.
#define SQLITE_OS_KV 1
#else
// Natively (tests) the unix layer, with the key-value VFS beside it.
#define SQLITE_OS_KV_OPTIONAL 1
#endif
#define SQLITE_TEMP_STORE 2
#define SQLITE_THREADSAFE 0
#define SQLITE_TRUSTED_SCHEMA 0
#define SQLITE_USE_ALLOCA 1
// The key-value VFS's record reads and writes are the host's (core/src/sqlite/amalgamation.c),
// not files in the working directory: this is what SQLITE_WASM selects in os_kv.c.
#define SQLITE_WASM 1

#endif  // WEB_SQLITE_SQLITE_CONFIG_H_
