// The host seam: what the core needs from whatever runs it. Files for the VFS, the clocks,
// randomness, the records of SQLite's kvvfs and the log. Natively it is POSIX (tests,
// benchmarks); in wasm it is a set of imported host functions implemented by the JavaScript
// runtime over node:fs or OPFS. The VFS never knows which.
#ifndef WEB_SQLITE_HOST_H_
#define WEB_SQLITE_HOST_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "web_sqlite/sqlite.h"

namespace wsq {

/// Every method returns SQLITE_OK or a SQLite error code (SQLITE_IOERR_*, SQLITE_FULL,
/// SQLITE_CANTOPEN, SQLITE_BUSY...), which the VFS passes on to SQLite unchanged.
class Host {
 public:
  virtual ~Host() = default;

  /// Opens path. flags are SQLITE_OPEN_* bits: READONLY/READWRITE, CREATE, EXCLUSIVE, and the
  /// kind of file (MAIN_DB, MAIN_JOURNAL, WAL...). *handle is the host's name for the open file.
  virtual int Open(std::string_view path, int flags, int32_t* handle) = 0;
  virtual int Close(int32_t handle) = 0;
  /// Reads up to n bytes at offset; *read is how many were available (fewer at end of file).
  virtual int Read(int32_t handle, uint8_t* buffer, size_t n, int64_t offset, size_t* read) = 0;
  virtual int Write(int32_t handle, const uint8_t* buffer, size_t n, int64_t offset) = 0;
  virtual int Truncate(int32_t handle, int64_t size) = 0;
  /// Makes written data durable. flags are SQLITE_SYNC_* bits.
  virtual int Sync(int32_t handle, int flags) = 0;
  virtual int Size(int32_t handle, int64_t* size) = 0;
  /// Deletes path; SQLITE_IOERR_DELETE_NOENT if it does not exist.
  virtual int Delete(std::string_view path, bool sync_directory) = 0;
  /// *result is whether path exists (SQLITE_ACCESS_EXISTS) or is readable and writable.
  virtual int Access(std::string_view path, int flags, bool* result) = 0;

  /// Fills buffer with random bytes.
  virtual void Randomness(uint8_t* buffer, size_t n) = 0;
  /// Wall-clock time in milliseconds since the Unix epoch.
  virtual double NowMs() = 0;
  /// A monotonic clock in milliseconds, for measuring durations (defaults to NowMs).
  virtual double MonotonicMs() { return NowMs(); }
  /// The key-value records of SQLite's kvvfs (see web_sqlite/kv_host.h for the contract).
  /// The default keeps none: reads find nothing, writes fail with SQLITE_IOERR.
  virtual int KvRead(const char* /*cls*/, const char* /*key*/, char* /*buf*/, int /*n*/) {
    return -1;
  }
  virtual int KvWrite(const char* /*cls*/, const char* /*key*/, const char* /*data*/) {
    return SQLITE_IOERR;
  }
  virtual int KvDelete(const char* /*cls*/, const char* /*key*/) { return 0; }
  /// Receives SQLite's log messages (sqlite3_log): code and text.
  virtual void Log(int code, const char* message) = 0;
  /// A connection is about to commit a transaction that wrote (SQLite's commit hook): from here
  /// on, the end of the host does not undo what the request in progress wrote.
  virtual void Committing() {}
};

/// The host of this build: POSIX natively, the wasm imports in wasm. Never null.
Host* DefaultHost();

}  // namespace wsq

#endif  // WEB_SQLITE_HOST_H_
