// An error as the core reports it: extended result code, message, and SQL offset.
#ifndef WEB_SQLITE_ERROR_H_
#define WEB_SQLITE_ERROR_H_

#include <string>

#include "web_sqlite/byte_writer.h"
#include "web_sqlite/sqlite.h"

namespace wsq {

/// The core's functions set the error only when they fail; the caller hands them a clear one (the
/// C ABI clears it once per call, in core/src/wasm/exports.cc).
struct Error {
  int code = SQLITE_OK;
  /// Byte offset in the SQL text the error refers to, or -1.
  int offset = -1;
  std::string message;

  bool ok() const { return code == SQLITE_OK; }
  void Clear();
  /// Records an error of the core's own, returns code.
  int Set(int code, std::string message, int offset = -1);
  /// Records the connection's current error (code rc), returns rc.
  int FromDb(sqlite3* db, int rc);
  /// Writes the error record of docs/FORMAT.md, with WSQ_ERROR_* flags.
  void Encode(ByteWriter* out, uint32_t flags = 0) const;
};

}  // namespace wsq

#endif  // WEB_SQLITE_ERROR_H_
