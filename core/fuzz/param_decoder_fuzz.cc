// libFuzzer target: arbitrary bytes as a parameter buffer. Decoding must reject what is
// malformed with an error, and binding what decodes must never crash, whatever the statement's
// parameters are.
#include <cstddef>
#include <cstdint>

#include "web_sqlite/error.h"
#include "web_sqlite/param_decoder.h"
#include "web_sqlite/sqlite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    sqlite3_open(":memory:", &d);
    return d;
  }();
  static sqlite3_stmt* statements[3] = {};
  if (statements[0] == nullptr) {
    sqlite3_prepare_v2(db, "SELECT ?1, ?2, ?3", -1, &statements[0], nullptr);
    sqlite3_prepare_v2(db, "SELECT :a, @b, $c", -1, &statements[1], nullptr);
    sqlite3_prepare_v2(db, "SELECT 1", -1, &statements[2], nullptr);
  }
  wsq::ParamDecoder decoder;
  wsq::Error error;
  if (!decoder.Decode(data, size, &error)) {
    if (error.code == 0 || error.message.empty()) __builtin_trap();  // a rejection explains itself
    return 0;
  }
  for (sqlite3_stmt* stmt : statements) {
    sqlite3_reset(stmt);
    error.Clear();
    decoder.Bind(stmt, /*copy=*/false, &error);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  return 0;
}
