// The SQLite amalgamation, compiled in this translation unit so that the record methods of its
// key-value VFS (private to the amalgamation) can be pointed at the host: JsStorageDb keeps its
// pages in localStorage / sessionStorage through them.
#if defined(__wasm__)
// LIKE's search for the character after a '%' (patternCompare, SQLite's one strcspn) goes through
// wsq_strcspn in wasm: wasi-libc's strcspn fills a 256-bit set at every call and then tests one
// byte at a time, where native libcs use SIMD; it was a tenth of the speed suite in memory.
#include <stdint.h>
#include <string.h>
static size_t wsq_strcspn(const char* s, const char* reject);
#define strcspn wsq_strcspn
#endif
#include "sqlite3.c"
#if defined(__wasm__)
#undef strcspn
#endif
#include "web_sqlite/kv_host.h"

#if WSQ_CIPHER
#include "chacha20.c"

#if !defined(__wasm__)
// For core/test/cipher_test.cc: this ChaCha20 (sqleet == 0) or SQLite3MC's (sqleet == 1).
void wsq_test_chacha20_xor(int sqleet, void* buffer, size_t n, const uint8_t key[32],
                           const uint8_t nonce[12], uint32_t counter) {
  (sqleet ? chacha20_xor_sqleet : chacha20_xor)(buffer, n, key, nonce, counter);
}
#endif
#endif

#if defined(__wasm__)
// The OS layer's start and end in wasm (see sqlite_config.h): the key-value VFS, and no files.
int wsq_os_init_(void) { return sqlite3KvvfsInit(); }
int wsq_os_end_(void) { return SQLITE_OK; }
#endif

#if defined(__wasm__)
// strcspn for a set of one or two characters (LIKE asks for a character in both cases) eight
// bytes at a time; others go to the libc's. wasm allows unaligned loads, and one that ends inside
// wasm memory never traps: the bytes it reads past the string's end are there, and are not looked
// at (the lowest byte that matches is the answer).
static size_t wsq_strcspn(const char* s, const char* reject) {
  if (reject[0] == 0 || (reject[1] != 0 && reject[2] != 0)) return strcspn(s, reject);
  const unsigned char a = (unsigned char)reject[0];
  const unsigned char b = reject[1] ? (unsigned char)reject[1] : a;
  const uint64_t ones = 0x0101010101010101ull;
  const uint64_t highs = 0x8080808080808080ull;
  const uint64_t as = ones * a;
  const uint64_t bs = ones * b;
  const uintptr_t last = (uintptr_t)__builtin_wasm_memory_size(0) * 65536 - sizeof(uint64_t);
  const unsigned char* p = (const unsigned char*)s;
  for (; (uintptr_t)p <= last; p += sizeof(uint64_t)) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
    const uint64_t x = word ^ as;
    const uint64_t y = word ^ bs;
    // The high bit of each byte that is zero in word, x or y (the end, a or b), and maybe of
    // bytes above one (a borrow): the lowest one set is the first match.
    const uint64_t found =
        (((word - ones) & ~word) | ((x - ones) & ~x) | ((y - ones) & ~y)) & highs;
    if (found) return (size_t)((const char*)p - s) + (size_t)(__builtin_ctzll(found) / 8);
  }
  for (;; p++) {
    if (*p == 0 || *p == a || *p == b) return (size_t)((const char*)p - s);
  }
}
#endif

#if defined(__wasm__) && WSQ_CIPHER
// The encryption build's salts and nonces come from getentropy() (SQLite3MC's source of
// randomness in wasm): the host's, as for SQLite's own randomness (crypto.getRandomValues in
// browsers and in Node), instead of WASI's random_get, which the runtime does not provide.
__attribute__((import_module("env"), import_name("wsq_host_random"))) void wsq_host_random(
    unsigned char* buffer, unsigned int n);
int getentropy(void* buffer, size_t n) {
  if (n > 256) return -1;
  wsq_host_random((unsigned char*)buffer, (unsigned int)n);
  return 0;
}
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
