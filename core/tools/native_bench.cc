// Native baseline for docs/PERFORMANCE.md: N single-row INSERTs in one transaction through the
// C ABI (prepare once, bind + run per row), the same loop the Node benchmark runs over wasm.
//   usage: wsq_native_bench [rows=100000] [path=bench.db] [vfs=wsq-memory]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "web_sqlite.h"

namespace {

void Check(int32_t rc, const char* what) {
  if (rc != 0 && rc != 100 && rc != 101) {
    std::fprintf(stderr, "%s failed: %d\n", what, rc);
    std::exit(1);
  }
}

void Put(std::vector<uint8_t>* out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out->insert(out->end(), b, b + n);
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::atol(argv[1]) : 100000;
  std::string path = argc > 2 ? argv[2] : "bench.db";
  std::string vfs = argc > 3 ? argv[3] : "wsq-memory";
  Check(wsq_init(), "init");
  wsq_conn conn = 0;
  Check(wsq_open(path.data(), path.size(), 0x6 /* READWRITE|CREATE */, vfs.data(), vfs.size(),
                 nullptr, 0, WSQ_KEY_NONE, &conn),
        "open");
  auto exec = [&](const char* sql) {
    Check(wsq_exec(conn, sql, std::strlen(sql), nullptr, 0, 0), sql);
  };
  exec("DROP TABLE IF EXISTS t; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL)");

  auto start = std::chrono::steady_clock::now();
  exec("BEGIN");
  const char* insert = "INSERT INTO t(id, name, score) VALUES (?, ?, ?)";
  wsq_stmt stmt = 0;
  uint32_t tail = 0;
  Check(wsq_prepare(conn, insert, std::strlen(insert), WSQ_PREPARE_PERSISTENT, &stmt, &tail),
        "prepare");
  std::vector<uint8_t> params;
  for (long i = 0; i < rows; ++i) {
    params.clear();
    uint8_t kind = WSQ_PARAMS_POSITIONAL;
    uint32_t count = 3;
    Put(&params, &kind, 1);
    Put(&params, &count, 4);
    uint8_t tag = WSQ_TAG_INT32;
    int32_t id = static_cast<int32_t>(i);
    Put(&params, &tag, 1);
    Put(&params, &id, 4);
    std::string name = "name-" + std::to_string(i);
    uint32_t len = static_cast<uint32_t>(name.size());
    tag = WSQ_TAG_TEXT;
    Put(&params, &tag, 1);
    Put(&params, &len, 4);
    Put(&params, name.data(), name.size());
    double score = static_cast<double>(i) * 0.5 + 0.25;
    tag = WSQ_TAG_FLOAT;
    Put(&params, &tag, 1);
    Put(&params, &score, 8);
    Check(wsq_stmt_run(stmt, params.data(), params.size(), 0), "run");
  }
  Check(wsq_stmt_finalize(stmt), "finalize");
  exec("COMMIT");
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"rows\": %ld, \"ms\": %.1f, \"vfs\": \"%s\"}\n", rows, ms, vfs.c_str());
  Check(wsq_close(conn), "close");
  return 0;
}
