#include "web_sqlite/error.h"

#include "web_sqlite.h"
#include "web_sqlite/result_codes.h"

namespace wsq {

void Error::Clear() {
  code = SQLITE_OK;
  offset = -1;
  message.clear();
}

int Error::Set(int c, std::string m, int o) {
  code = c;
  message = std::move(m);
  offset = o;
  return c;
}

int Error::FromDb(sqlite3* db, int rc) {
  code = rc;
  offset = -1;
  if (db != nullptr) {
    // The connection's extended code is more precise than rc when they agree on the primary code.
    int extended = sqlite3_extended_errcode(db);
    if ((extended & 0xff) == (rc & 0xff)) code = extended;
    message = sqlite3_errmsg(db);
    offset = sqlite3_error_offset(db);
  } else {
    message = sqlite3_errstr(rc);
  }
  return code;
}

void Error::Encode(ByteWriter* out, uint32_t flags) const {
  out->Clear();
  out->PutU32(WSQ_MAGIC_ERROR);
  out->PutI32(code);
  out->PutI32(offset);
  out->PutU32(flags);
  out->PutSized(ResultCodeName(code));
  out->PutSized(message);
}

}  // namespace wsq
