// Encryption at rest (web_sqlite/cipher.h): compiled with WSQ_CIPHER=1 into the encryption build,
// whose SQLite carries SQLite3 Multiple Ciphers, and with WSQ_CIPHER=0 into the other, which
// refuses keys.
#include "web_sqlite/cipher.h"

#include <cstring>

#include "web_sqlite.h"

static_assert(SQLITE_NOTADB == 26, "wsq_key_result codes extend SQLITE_NOTADB");

#if WSQ_CIPHER
// SQLite3 Multiple Ciphers' interface (its sqlite3mc.h, not part of sqlite3.h).
extern "C" {
int sqlite3_key_v2(sqlite3* db, const char* zDbName, const void* pKey, int nKey);
int sqlite3_rekey_v2(sqlite3* db, const char* zDbName, const void* pKey, int nKey);
}
#endif

namespace wsq {

namespace {

/// What the first bytes of a database file say it is.
enum class Looks { kEmpty, kPlain, kEncrypted, kOther };

/// Reads the first 24 bytes of db's main file through its VFS, as they are on disk (no key is
/// applied yet), and tells what they are (FileKind).
Looks Look(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return Looks::kOther;
  }
  sqlite3_int64 size = 0;
  if (file->pMethods->xFileSize(file, &size) != SQLITE_OK) return Looks::kOther;
  if (size == 0) return Looks::kEmpty;
  unsigned char header[24];
  if (size < static_cast<sqlite3_int64>(sizeof header) ||
      file->pMethods->xRead(file, header, sizeof header, 0) != SQLITE_OK) {
    return Looks::kOther;
  }
  switch (FileKind(header, sizeof header)) {
    case WSQ_FILE_PLAIN:
      return Looks::kPlain;
    case WSQ_FILE_ENCRYPTED:
      return Looks::kEncrypted;
    default:
      return Looks::kOther;
  }
}

int KeyRequired(const std::string& path, Error* error) {
  return error->Set(WSQ_KEY_REQUIRED, "'" + path +
                                          "' is encrypted: open it with its key ({ key }), or "
                                          "delete it to start again");
}

#if WSQ_CIPHER

/// The bytes SQLite3MC takes for a key: a passphrase as it is; raw key bytes after "raw:", which
/// skips the key derivation. Zeroed when it goes: no copy of a key outlives the call.
class KeyBytes {
 public:
  explicit KeyBytes(const Key& key) {
    if (!key.given()) return;
    if (key.kind == WSQ_KEY_RAW) bytes_ = "raw:";
    bytes_.append(reinterpret_cast<const char*>(key.data), key.size);
  }
  ~KeyBytes() {
    volatile char* p = bytes_.data();
    for (size_t i = 0; i < bytes_.size(); i++) p[i] = 0;
  }
  KeyBytes(const KeyBytes&) = delete;
  KeyBytes& operator=(const KeyBytes&) = delete;

  const char* data() const { return bytes_.empty() ? nullptr : bytes_.data(); }
  int size() const { return static_cast<int>(bytes_.size()); }

 private:
  std::string bytes_;
};

/// Reads the schema, which decrypts page 1 (and proves the key).
int ReadSchema(sqlite3* db) {
  return sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
}

/// Writes page 1 of an empty database (a write transaction that sets what is already there).
int WriteFirstPage(sqlite3* db) {
  return sqlite3_exec(db, "PRAGMA main.user_version = 0", nullptr, nullptr, nullptr);
}

/// SQLite3MC turns secure_delete on for every keyed database (and again at each rekey), which
/// writes every page a DROP TABLE or a big DELETE frees, each encrypted. FAST overwrites deleted
/// content where SQLite writes the page anyway; a page freed whole keeps its encrypted content
/// until it is reused or VACUUM runs (docs/API.md, "Encryption"). secure_delete = ON, the user's
/// to set, overwrites those too.
int OverwriteDeletedFast(sqlite3* db) {
  return sqlite3_exec(db, "PRAGMA main.secure_delete = FAST", nullptr, nullptr, nullptr);
}

/// The prefix of the VFS names SQLite3MC's shim gives the VFS it wraps.
constexpr char kCipherVfsPrefix[] = "multipleciphers-";

#endif

}  // namespace

// A plain file starts with SQLite's name; one in the cipher's format with a random salt instead,
// bytes 16-23 staying as SQLite wrote them, with reserved bytes on every page (20): the cipher's
// nonce and tag.
int FileKind(const unsigned char* header, size_t n) {
  if (n < 24) return WSQ_FILE_OTHER;
  if (std::memcmp(header, "SQLite format 3", 16) == 0) return WSQ_FILE_PLAIN;
  const unsigned page = (header[16] << 8) | header[17];
  const bool page_ok = page == 1 || (page >= 512 && (page & (page - 1)) == 0);
  const bool versions_ok = header[18] >= 1 && header[18] <= 2 && header[19] >= 1 && header[19] <= 2;
  const bool fractions_ok = header[21] == 64 && header[22] == 32 && header[23] == 32;
  return page_ok && versions_ok && fractions_ok && header[20] > 0 ? WSQ_FILE_ENCRYPTED
                                                                  : WSQ_FILE_OTHER;
}

#if WSQ_CIPHER

bool HasCipher() { return true; }

std::string CipherVfs(const std::string& vfs) {
  std::string base = vfs;
  if (base.empty()) {
    sqlite3_vfs* fallback = sqlite3_vfs_find(nullptr);
    if (fallback == nullptr) return vfs;
    base = fallback->zName;
  }
  return base.rfind(kCipherVfsPrefix, 0) == 0 ? base : kCipherVfsPrefix + base;
}

int Unlock(sqlite3* db, const std::string& path, const Key& key, Error* error) {
  const Looks looks = Look(db);
  if (!key.given()) return looks == Looks::kEncrypted ? KeyRequired(path, error) : SQLITE_OK;
  if (looks == Looks::kPlain) {
    return error->Set(
        WSQ_NOT_ENCRYPTED,
        "'" + path + "' is not encrypted: open it without a key, and rekey(key) encrypts it");
  }
  const KeyBytes bytes(key);
  int rc = sqlite3_key_v2(db, "main", bytes.data(), bytes.size());
  if (rc == SQLITE_OK && looks == Looks::kEmpty) {
    // A new database, encrypted from its first page. The salt this connection made for it is the
    // file's at once (page 1 written): another connection that keys the file later reads that
    // salt, instead of making one of its own and then reading every page with the wrong key.
    if (!sqlite3_db_readonly(db, "main")) rc = WriteFirstPage(db);
  } else if (rc == SQLITE_OK) {
    rc = ReadSchema(db);
    if ((rc & 0xff) == SQLITE_NOTADB && looks == Looks::kEncrypted) {
      return error->Set(WSQ_KEY_WRONG, "the key of '" + path +
                                           "' is wrong: it does not decrypt the database "
                                           "(nothing was changed)");
    }
  }
  if (rc == SQLITE_OK) rc = OverwriteDeletedFast(db);
  return rc == SQLITE_OK ? SQLITE_OK : error->FromDb(db, rc);
}

int Rekey(sqlite3* db, bool encrypted, const Key& key, Error* error) {
  if (sqlite3_get_autocommit(db) == 0) {
    return error->Set(SQLITE_MISUSE, "rekey cannot run inside a transaction: commit it first");
  }
  const KeyBytes bytes(key);
  // A new key for an encrypted database is written in WAL mode, where SQLite3MC keeps the file's
  // salt and the new pages commit at once in the WAL (a rekey in a rollback journal mode writes
  // a first page with a new salt over a journal that only the old salt decrypts). Encrypting or
  // decrypting needs a rollback journal mode in SQLite3MC: the caller does that on a copy
  // (SyncDatabase.rekey), where a crash costs nothing.
  char** rows = nullptr;
  int n = 0;
  int rc = sqlite3_get_table(db, "PRAGMA main.journal_mode", &rows, &n, nullptr, nullptr);
  const std::string mode = rc == SQLITE_OK && n == 1 && rows[1] ? rows[1] : "";
  sqlite3_free_table(rows);
  if (rc != SQLITE_OK) return error->FromDb(db, rc);
  const bool in_place = encrypted && key.given();
  const std::string during = in_place ? "wal" : (mode == "wal" ? "delete" : mode);
  if (during != mode) {
    rc = sqlite3_exec(db, ("PRAGMA main.journal_mode = " + during).c_str(), nullptr, nullptr,
                      nullptr);
    if (rc != SQLITE_OK) return error->FromDb(db, rc);
  }
  rc = sqlite3_rekey_v2(db, "main", bytes.data(), bytes.size());
  // The key has changed: should the setting fail, secure_delete stays fully on, which is safe.
  if (rc == SQLITE_OK && key.given()) OverwriteDeletedFast(db);
  if (rc != SQLITE_OK) error->FromDb(db, rc);
  if (during != mode) {
    const int back =
        sqlite3_exec(db, ("PRAGMA main.journal_mode = " + mode).c_str(), nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK && back != SQLITE_OK) return error->FromDb(db, back);
  }
  return rc;
}

int ExportEncrypted(sqlite3* db, unsigned char** data, int64_t* size, Error* error) {
  *data = nullptr;
  *size = 0;
  // Every committed page into the file (a database in WAL mode), so that the file is whole.
  int log = 0;
  int done = 0;
  int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  if (rc != SQLITE_OK) return error->FromDb(db, rc);
  if (log > 0 && done != log) {
    return error->Set(SQLITE_BUSY,
                      "export of an encrypted database needs its WAL checkpointed, and another "
                      "connection is reading it: retry when it is done");
  }
  // The file through the VFS under the cipher's shim, which gives the bytes as they are.
  sqlite3_vfs* shim = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &shim) != SQLITE_OK || !shim) {
    return error->Set(SQLITE_ERROR, "export: the database's VFS is unknown");
  }
  const std::string name = shim->zName;
  const std::string prefix = kCipherVfsPrefix;
  sqlite3_vfs* vfs =
      sqlite3_vfs_find(name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()).c_str() : nullptr);
  const char* path = sqlite3_db_filename(db, "main");
  if (vfs == nullptr || path == nullptr) {
    return error->Set(SQLITE_ERROR, "export: the database's file cannot be reached");
  }
  auto* file = static_cast<sqlite3_file*>(sqlite3_malloc64(vfs->szOsFile));
  if (file == nullptr) return error->Set(SQLITE_NOMEM, "out of memory exporting the database");
  std::memset(file, 0, vfs->szOsFile);
  int flags = 0;
  rc = vfs->xOpen(vfs, path, file, SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READONLY, &flags);
  if (rc == SQLITE_OK) {
    sqlite3_int64 n = 0;
    rc = file->pMethods->xFileSize(file, &n);
    if (rc == SQLITE_OK && n > 0) {
      *data = static_cast<unsigned char*>(sqlite3_malloc64(static_cast<sqlite3_uint64>(n)));
      rc = *data == nullptr ? SQLITE_NOMEM
                            : file->pMethods->xRead(file, *data, static_cast<int>(n), 0);
      if (rc == SQLITE_OK) *size = n;
    }
  }
  if (file->pMethods != nullptr) file->pMethods->xClose(file);
  sqlite3_free(file);
  if (rc != SQLITE_OK) {
    sqlite3_free(*data);
    *data = nullptr;
    return error->Set(rc, "export: the database's file could not be read");
  }
  return SQLITE_OK;
}

#else

bool HasCipher() { return false; }

std::string CipherVfs(const std::string& vfs) { return vfs; }

namespace {

int NoCipher(Error* error) {
  return error->Set(WSQ_NO_CIPHER,
                    "this build of web-sqlite has no encryption: a key needs "
                    "web-sqlite-cipher.wasm, which open() loads when it is given a key");
}

}  // namespace

int Unlock(sqlite3* db, const std::string& path, const Key& key, Error* error) {
  if (key.given()) return NoCipher(error);
  return Look(db) == Looks::kEncrypted ? KeyRequired(path, error) : SQLITE_OK;
}

int Rekey(sqlite3*, bool, const Key&, Error* error) { return NoCipher(error); }

int ExportEncrypted(sqlite3*, unsigned char**, int64_t*, Error* error) { return NoCipher(error); }

#endif

}  // namespace wsq
