/* The key-value records behind SQLite's kvvfs, as the host keeps them (Web Storage in browsers;
 * a map natively). Valid C: the amalgamation's translation unit includes it. */
#ifndef WEB_SQLITE_KV_HOST_H_
#define WEB_SQLITE_KV_HOST_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Reads record key of class ("local", "session"). Returns its length, or -1 when it does not
 * exist. With n <= 0 only the length is returned; otherwise up to n-1 bytes are copied to buf
 * and NUL-terminated, and the count copied is returned. */
int wsq_kv_read(const char* cls, const char* key, char* buf, int n);
/* Writes record key (NUL-terminated text). Returns 0, SQLITE_FULL (quota) or SQLITE_IOERR. */
int wsq_kv_write(const char* cls, const char* key, const char* data);
/* Deletes record key; a missing record is fine. Returns 0 or an error code. */
int wsq_kv_delete(const char* cls, const char* key);
/* Points SQLite's kvvfs at record functions (those above). Called once, after
 * sqlite3_initialize. The functions are passed in so that the amalgamation's library does not
 * depend on the core's. */
int wsq_kvvfs_install(int (*read)(const char*, const char*, char*, int),
                      int (*write)(const char*, const char*, const char*),
                      int (*remove)(const char*, const char*));

#ifdef __cplusplus
}
#endif

#endif /* WEB_SQLITE_KV_HOST_H_ */
