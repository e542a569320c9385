// Encryption at rest: a connection's key, checked when it opens and changed by rekey. In the
// encryption build (web-sqlite-cipher.wasm, the wsq_api_cipher library) the codec is SQLite3
// Multiple Ciphers' default, ChaCha20-Poly1305 in sqleet's format; in the other build a key is
// refused with WSQ_NO_CIPHER. core/src/cipher.cc is compiled once for each (WSQ_CIPHER 1 / 0).
#ifndef WEB_SQLITE_CIPHER_H_
#define WEB_SQLITE_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "web_sqlite/error.h"
#include "web_sqlite/sqlite.h"

namespace wsq {

/// A key as the C ABI takes it (wsq_key_kind): none, a passphrase, or the key's raw bytes.
struct Key {
  int kind = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;

  bool given() const { return kind != 0; }
};

/// Whether this build encrypts.
bool HasCipher();

/// What the first n bytes of a database file say it is (wsq_file_kind): a plain SQLite file,
/// one in the cipher's format, or neither.
int FileKind(const unsigned char* header, size_t n);

/// The VFS a connection opens through: in the encryption build, the cipher's shim over vfs (the
/// default VFS when vfs is empty), so that any database can take a key later (rekey).
std::string CipherVfs(const std::string& vfs);

/// After sqlite3_open_v2 of path and before anything reads it: applies the key and proves it
/// by reading the schema (WSQ_KEY_WRONG), refuses a key for a database that is not encrypted
/// (WSQ_NOT_ENCRYPTED) and an encrypted database without one (WSQ_KEY_REQUIRED). A new or
/// empty database takes the key and is encrypted from its first page.
int Unlock(sqlite3* db, const std::string& path, const Key& key, Error* error);

/// Changes the key of db's main database, encrypted or not (a key that is not given decrypts
/// it).
int Rekey(sqlite3* db, bool encrypted, const Key& key, Error* error);

/// The main database's file as it is on disk, encrypted (its WAL checkpointed into it first):
/// what export gives of an encrypted database. *data is sqlite3_malloc64'd.
int ExportEncrypted(sqlite3* db, unsigned char** data, int64_t* size, Error* error);

}  // namespace wsq

#endif  // WEB_SQLITE_CIPHER_H_
