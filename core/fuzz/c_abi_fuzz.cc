// libFuzzer target: SQL text and a parameter buffer, both from the fuzz input, through the C ABI
// (wsq_exec, wsq_prepare / bind / step). Nothing may crash; every failure must be a response
// with an error record; the connection must stay usable.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "web_sqlite.h"
#include "web_sqlite/host.h"
#include "web_sqlite/sqlite.h"

namespace {

bool Ok(int32_t rc) { return rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE; }

void CheckResponse(int32_t rc) {
  const wsq_response* r = wsq_last_response();
  if (r->status != rc) __builtin_trap();
  if (!Ok(rc)) {
    uint32_t magic = 0;
    if (r->len < 4) __builtin_trap();
    std::memcpy(&magic, r->data, 4);
    if (magic != WSQ_MAGIC_ERROR) __builtin_trap();  // an error always carries its record
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static wsq_conn conn = [] {
    wsq_init();
    sqlite3_hard_heap_limit64(256 << 20);
    wsq_conn c = 0;
    const char path[] = "fuzz";
    const char vfs[] = "wsq-memory";
    wsq_open(path, sizeof path - 1, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs, sizeof vfs - 1,
             nullptr, 0, WSQ_KEY_NONE, &c);
    return c;
  }();
  // The input is "SQL \0 params": the first NUL splits the two.
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  size_t sql_len = nul ? static_cast<size_t>(nul - data) : size;
  const uint8_t* params = nul ? nul + 1 : nullptr;
  size_t params_len = nul ? size - sql_len - 1 : 0;
  const char* sql = reinterpret_cast<const char*>(data);
  // Endless queries stop at a deadline instead of timing the fuzzer out.
  *wsq_deadline_slot() = wsq::DefaultHost()->NowMs() + 50;
  CheckResponse(wsq_exec(conn, sql, sql_len, params, params_len, WSQ_RUN_ROWS));
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  int32_t rc = wsq_prepare(conn, sql, sql_len, 0, &stmt, &tail);
  CheckResponse(rc);
  if (rc == SQLITE_OK && stmt != 0) {
    CheckResponse(wsq_stmt_bind(stmt, params, params_len));
    CheckResponse(wsq_stmt_step(stmt, 16));
    CheckResponse(wsq_stmt_finalize(stmt));
  }
  // Whatever happened, a transaction left open is closed and the connection answers.
  const char rollback[] = "ROLLBACK";
  wsq_exec(conn, rollback, sizeof rollback - 1, nullptr, 0, 0);
  *wsq_deadline_slot() = 0;
  const char probe[] = "SELECT 1";
  if (wsq_exec(conn, probe, sizeof probe - 1, nullptr, 0, WSQ_RUN_ROWS) != SQLITE_OK) {
    __builtin_trap();
  }
  return 0;
}
