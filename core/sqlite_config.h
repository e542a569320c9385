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
// median(), percentile(), percentile_cont() and percentile_disc(), as in SQLite's official wasm
// build.
#define SQLITE_ENABLE_PERCENTILE 1
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
// The unix OS layer with the key-value VFS (kvvfs, for JsStorageDb) beside it: SQLITE_OS_KV alone
// would compile WAL out. wsq_init registers the core's VFSes, the host-file VFS as the default.
#define SQLITE_OS_KV_OPTIONAL 1
#if defined(__wasm__)
// There are no files in wasm but the core's VFSes, so the unix VFSes are left out: SQLite's call
// of sqlite3_os_init() becomes wsq_os_init_() (core/src/sqlite/amalgamation.c), which registers
// kvvfs alone, while os_unix.c's definition, sqlite3_os_init(void), becomes wsq_os_init_void(),
// which nothing calls, so the linker drops the unix layer (about 10 KB of gzip'd wasm).
#define sqlite3_os_init(...) wsq_os_init_##__VA_ARGS__()
#define sqlite3_os_end(...) wsq_os_end_##__VA_ARGS__()
// Declared before SQLite calls them: a C compiler may refuse a call to an undeclared function
// (clang 16 and later do).
#ifdef __cplusplus
extern "C" {
#endif
int wsq_os_init_(void);
int wsq_os_end_(void);
#ifdef __cplusplus
}
#endif
#endif
#define SQLITE_TEMP_STORE 2
#define SQLITE_THREADSAFE 0
#define SQLITE_TRUSTED_SCHEMA 0
// Without SQLite's test hooks (sqlite3_test_control, fault simulation), which nothing here calls:
// 0.85 KB of gzip'd wasm (docs/PERFORMANCE.md, "The engine room").
#define SQLITE_UNTESTABLE 1
#define SQLITE_USE_ALLOCA 1
// The key-value VFS's record reads and writes are the host's (core/src/sqlite/amalgamation.c),
// not files in the working directory: this is what SQLITE_WASM selects in os_kv.c.
#define SQLITE_WASM 1

#endif  // WEB_SQLITE_SQLITE_CONFIG_H_
