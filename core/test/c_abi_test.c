/* The C ABI header compiles as C11 and its calls link and work from C. */
#include <stdio.h>
#include <string.h>

#include "web_sqlite.h"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(void) {
  const char* path = ":memory:";
  const char* sql = "CREATE TABLE t(a); INSERT INTO t VALUES (42); SELECT a FROM t";
  const char* query = "SELECT a FROM t";
  wsq_conn conn = 0;
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  const wsq_response* response;

  CHECK(wsq_init() == 0);
  CHECK(strcmp(wsq_sqlite_version(), "3.54.1") == 0);
  CHECK(strcmp(wsq_code_name(2067), "SQLITE_CONSTRAINT_UNIQUE") == 0);
  CHECK(wsq_open(path, strlen(path), 0x6, "", 0, NULL, 0, WSQ_KEY_NONE, &conn) == 0 && conn != 0);
  CHECK(wsq_exec(conn, sql, strlen(sql), NULL, 0, WSQ_RUN_ROWS) == 0);
  response = wsq_last_response();
  CHECK(response->status == 0 && response->len > 32);
  CHECK(wsq_prepare(conn, query, strlen(query), 0, &stmt, &tail) == 0 && stmt != 0);
  CHECK(tail == strlen(query));
  CHECK(wsq_stmt_step(stmt, 10) == 101);
  CHECK(wsq_close(conn) == 0);
  /* Closing the connection finalized the statement: its handle is no longer valid. */
  CHECK(wsq_stmt_step(stmt, 1) == 21); /* SQLITE_MISUSE */
  puts("c_abi_test: ok");
  return 0;
}
