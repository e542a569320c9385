// The C ABI of web_sqlite.h: the only exported symbols of the wasm module. Every handle and
// buffer that arrives here is checked before use; errors leave through the response record.
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>

#include "web_sqlite.h"
#include "web_sqlite/byte_writer.h"
#include "web_sqlite/connection.h"
#include "web_sqlite/error.h"
#include "web_sqlite/functions.h"
#include "web_sqlite/host_file_system.h"
#include "web_sqlite/kv_host.h"
#include "web_sqlite/result_codes.h"
#include "web_sqlite/result_encoder.h"
#include "web_sqlite/vfs.h"

#if defined(__wasm__)
#define WSQ_EXPORT(name) __attribute__((export_name(name)))
// The host reads the response record at fixed offsets (generated into js/src/generated/).
static_assert(offsetof(wsq_response, status) == 0);
static_assert(offsetof(wsq_response, data) == 4);
static_assert(offsetof(wsq_response, len) == 8);
static_assert(sizeof(wsq_response) == 12);
#else
#define WSQ_EXPORT(name)
#endif

namespace {

using wsq::Connection;
using wsq::Error;
using wsq::Statement;

struct State {
  wsq::ByteWriter out;
  wsq_response response{};
  uint8_t* scratch = nullptr;
  size_t scratch_size = 0;
  std::unordered_map<wsq_conn, std::unique_ptr<Connection>> connections;
  std::unordered_map<wsq_stmt, wsq_conn> statement_owner;
  wsq_conn next_connection = 0;
  Error error;
  bool initialized = false;
  /// The bytes of the last wsq_export, owned until the next response.
  std::unique_ptr<unsigned char, void (*)(void*)> exported{nullptr, sqlite3_free};
};

State& S() {
  static State* state = new State();
  return *state;
}

int32_t Respond(int32_t status) {
  State& s = S();
  s.exported.reset();
  s.response = {status, s.out.data(), s.out.size()};
  return status;
}

int32_t RespondEmpty(int32_t status) {
  S().out.Clear();
  return Respond(status);
}

int32_t Fail(const Error& error) {
  error.Encode(&S().out);
  return Respond(error.code);
}

int32_t Fail(int code, std::string message) {
  Error& e = S().error;
  e.Set(code, std::move(message));
  return Fail(e);
}

int32_t NotInitialized() { return Fail(SQLITE_MISUSE, "wsq_init() has not been called"); }

Connection* FindConnection(wsq_conn id) {
  auto it = S().connections.find(id);
  return it == S().connections.end() ? nullptr : it->second.get();
}

Statement* FindStatement(wsq_stmt id) {
  State& s = S();
  auto owner = s.statement_owner.find(id);
  if (owner == s.statement_owner.end()) return nullptr;
  Connection* connection = FindConnection(owner->second);
  return connection != nullptr ? connection->FindStatement(id) : nullptr;
}

int32_t BadConnection(wsq_conn id) {
  return Fail(SQLITE_MISUSE,
              "the database connection is closed (handle " + std::to_string(id) + " is not open)");
}

int32_t BadStatement(wsq_stmt id) {
  return Fail(SQLITE_MISUSE, "the statement is finalized or its database is closed (handle " +
                                 std::to_string(id) + ")");
}

void LogToHost(void*, int code, const char* message) { wsq::DefaultHost()->Log(code, message); }

}  // namespace

extern "C" {

WSQ_EXPORT("wsq_init") int32_t wsq_init(void) {
  State& s = S();
  if (s.initialized) return RespondEmpty(SQLITE_OK);
  sqlite3_config(SQLITE_CONFIG_LOG, LogToHost, nullptr);
  int rc = sqlite3_initialize();
  if (rc == SQLITE_OK) rc = wsq_kvvfs_install(wsq_kv_read, wsq_kv_write, wsq_kv_delete);
#if defined(__wasm__)
  // The OS layer registered only kvvfs: the host-file VFS becomes the default.
  if (rc == SQLITE_OK) rc = wsq::RegisterVfses(/*host_is_default=*/true);
#else
  // Natively the unix VFS stays the default; the core's VFSes are added by name.
  if (rc == SQLITE_OK) rc = wsq::RegisterVfses(/*host_is_default=*/false);
#endif
  if (rc != SQLITE_OK)
    return Fail(rc, std::string("sqlite3_initialize failed: ") + sqlite3_errstr(rc));
  s.initialized = true;
  return RespondEmpty(SQLITE_OK);
}

WSQ_EXPORT("wsq_last_response") const wsq_response* wsq_last_response(void) {
  return &S().response;
}

WSQ_EXPORT("wsq_scratch") uint8_t* wsq_scratch(size_t n) {
  State& s = S();
  if (n > s.scratch_size) {
    size_t size = s.scratch_size ? s.scratch_size : 4096;
    while (size < n) size *= 2;
    auto* grown = static_cast<uint8_t*>(std::realloc(s.scratch, size));
    if (grown == nullptr) return nullptr;
    s.scratch = grown;
    s.scratch_size = size;
  }
  return s.scratch;
}

WSQ_EXPORT("wsq_alloc") void* wsq_alloc(size_t n) { return std::malloc(n); }

WSQ_EXPORT("wsq_free") void wsq_free(void* p) { std::free(p); }

WSQ_EXPORT("wsq_sqlite_version") const char* wsq_sqlite_version(void) {
  return sqlite3_libversion();
}

WSQ_EXPORT("wsq_code_name") const char* wsq_code_name(int32_t code) {
  return wsq::ResultCodeName(code);
}

WSQ_EXPORT("wsq_open")
int32_t wsq_open(const char* path, size_t path_len, int32_t flags, const char* vfs, size_t vfs_len,
                 wsq_conn* out) {
  State& s = S();
  *out = 0;
  if (!s.initialized) return NotInitialized();
  std::unique_ptr<Connection> connection;
  s.error.Clear();
  int rc = Connection::Open(std::string(path, path_len), flags, std::string(vfs, vfs_len),
                            &connection, &s.error);
  if (rc != SQLITE_OK) return Fail(s.error);
  if (++s.next_connection == 0) ++s.next_connection;
  s.connections.emplace(s.next_connection, std::move(connection));
  *out = s.next_connection;
  return RespondEmpty(SQLITE_OK);
}

WSQ_EXPORT("wsq_close") int32_t wsq_close(wsq_conn conn) {
  State& s = S();
  auto it = s.connections.find(conn);
  if (it == s.connections.end()) return BadConnection(conn);
  for (auto owner = s.statement_owner.begin(); owner != s.statement_owner.end();) {
    owner = owner->second == conn ? s.statement_owner.erase(owner) : std::next(owner);
  }
  s.connections.erase(it);  // finalizes the statements, then closes
  return RespondEmpty(SQLITE_OK);
}

WSQ_EXPORT("wsq_busy_timeout") int32_t wsq_busy_timeout(wsq_conn conn, int32_t ms) {
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  return RespondEmpty(c->SetBusyTimeout(ms));
}

WSQ_EXPORT("wsq_exec")
int32_t wsq_exec(wsq_conn conn, const char* sql, size_t sql_len, const uint8_t* params,
                 size_t params_len, int32_t flags) {
  State& s = S();
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  int rc = c->Exec(std::string_view(sql, sql_len), params, params_len, static_cast<uint32_t>(flags),
                   &s.out, &s.error);
  return rc == SQLITE_OK ? Respond(SQLITE_OK) : Fail(s.error);
}

WSQ_EXPORT("wsq_deadline") int32_t wsq_deadline(wsq_conn conn, double deadline_ms) {
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  c->SetDeadline(deadline_ms);
  return RespondEmpty(SQLITE_OK);
}

WSQ_EXPORT("wsq_export") int32_t wsq_export(wsq_conn conn) {
  State& s = S();
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  unsigned char* data = nullptr;
  int64_t size = 0;
  if (c->Export(&data, &size, &s.error) != SQLITE_OK) return Fail(s.error);
  if (static_cast<uint64_t>(size) > UINT32_MAX) {
    sqlite3_free(data);
    return Fail(SQLITE_TOOBIG, "the database is larger than 4 GiB and cannot be exported at once");
  }
  RespondEmpty(SQLITE_OK);
  s.exported.reset(data);
  s.response = {SQLITE_OK, data, static_cast<size_t>(size)};
  return SQLITE_OK;
}

WSQ_EXPORT("wsq_create_function")
int32_t wsq_create_function(wsq_conn conn, const char* name, size_t name_len, int32_t n_args,
                            int32_t flags, uint32_t id) {
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  State& s = S();
  s.error.Clear();
  int rc = wsq::CreateFunction(c->db(), std::string(name, name_len), n_args, flags, id, &s.error);
  return rc == SQLITE_OK ? RespondEmpty(SQLITE_OK) : Fail(s.error);
}

// The two answers of a host function call run while SQLite is inside a statement: they touch
// only the call's context, never the response record.
WSQ_EXPORT("wsq_function_result")
int32_t wsq_function_result(void* ctx, const uint8_t* params, size_t params_len) {
  return wsq::SetFunctionResult(static_cast<sqlite3_context*>(ctx), params, params_len);
}

WSQ_EXPORT("wsq_function_error")
void wsq_function_error(void* ctx, const char* message, size_t len) {
  wsq::SetFunctionError(static_cast<sqlite3_context*>(ctx), std::string_view(message, len));
}

WSQ_EXPORT("wsq_conn_stats") int32_t wsq_conn_stats(wsq_conn conn) {
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  const char* file = sqlite3_db_filename(c->db(), "main");
  const wsq::IoStats* found = file != nullptr ? wsq::DefaultHostVfs()->FindStats(file) : nullptr;
  wsq::IoStats stats = found != nullptr ? *found : wsq::IoStats{};
  wsq::ResultEncoder encoder(&S().out);
  encoder.Begin({"reads", "readBytes", "writes", "writeBytes", "syncs", "truncates", "readMs",
                 "writeMs", "syncMs", "truncateMs"});
  for (uint64_t v : {stats.reads, stats.read_bytes, stats.writes, stats.write_bytes, stats.syncs,
                     stats.truncates}) {
    encoder.AddInt(static_cast<int64_t>(v));
  }
  for (double v : {stats.read_ms, stats.write_ms, stats.sync_ms, stats.truncate_ms}) {
    encoder.AddFloat(v);
  }
  encoder.EndRow();
  encoder.Finish(0, 0, 0);
  return Respond(SQLITE_OK);
}

WSQ_EXPORT("wsq_self_test")
int32_t wsq_self_test(const char* vfs, size_t vfs_len, const char* path, size_t path_len) {
  State& s = S();
  if (!s.initialized) return NotInitialized();
  std::string vfs_name(vfs, vfs_len);
  sqlite3_vfs* target = sqlite3_vfs_find(vfs_name.empty() ? nullptr : vfs_name.c_str());
  if (target == nullptr) return Fail(SQLITE_ERROR, "no such VFS: '" + vfs_name + "'");
  wsq::ResultEncoder encoder(&s.out);
  bool ok = wsq::SelfTest(target, std::string(path, path_len), &encoder);
  encoder.Finish(0, 0, 0);
  return Respond(ok ? SQLITE_OK : SQLITE_ERROR);
}

WSQ_EXPORT("wsq_conn_state") int32_t wsq_conn_state(wsq_conn conn) {
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  c->EncodeState(&S().out);
  return Respond(SQLITE_OK);
}

WSQ_EXPORT("wsq_prepare")
int32_t wsq_prepare(wsq_conn conn, const char* sql, size_t sql_len, int32_t flags, wsq_stmt* out,
                    uint32_t* tail) {
  State& s = S();
  *out = 0;
  *tail = static_cast<uint32_t>(sql_len);
  Connection* c = FindConnection(conn);
  if (c == nullptr) return BadConnection(conn);
  Statement* stmt = nullptr;
  size_t rest = 0;
  s.error.Clear();
  int rc = c->Prepare(std::string_view(sql, sql_len), static_cast<uint32_t>(flags), &stmt, &rest,
                      &s.error);
  if (rc != SQLITE_OK) return Fail(s.error);
  *tail = static_cast<uint32_t>(rest);
  if (stmt != nullptr) {
    *out = stmt->id();
    s.statement_owner.emplace(stmt->id(), conn);
  }
  return RespondEmpty(SQLITE_OK);
}

WSQ_EXPORT("wsq_stmt_bind")
int32_t wsq_stmt_bind(wsq_stmt stmt, const uint8_t* params, size_t params_len) {
  Statement* st = FindStatement(stmt);
  if (st == nullptr) return BadStatement(stmt);
  State& s = S();
  s.error.Clear();
  int rc = st->Bind(params, params_len, &s.error);
  return rc == SQLITE_OK ? RespondEmpty(SQLITE_OK) : Fail(s.error);
}

WSQ_EXPORT("wsq_stmt_bind_one")
int32_t wsq_stmt_bind_one(wsq_stmt stmt, const uint8_t* params, size_t params_len, int32_t index) {
  Statement* st = FindStatement(stmt);
  if (st == nullptr) return BadStatement(stmt);
  State& s = S();
  s.error.Clear();
  int rc = st->BindOne(params, params_len, index, &s.error);
  return rc == SQLITE_OK ? RespondEmpty(SQLITE_OK) : Fail(s.error);
}

WSQ_EXPORT("wsq_stmt_step") int32_t wsq_stmt_step(wsq_stmt stmt, uint32_t max_rows) {
  Statement* st = FindStatement(stmt);
  if (st == nullptr) return BadStatement(stmt);
  State& s = S();
  s.error.Clear();
  int rc = st->Step(max_rows, &s.out, &s.error);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? Respond(rc) : Fail(s.error);
}

WSQ_EXPORT("wsq_stmt_run")
int32_t wsq_stmt_run(wsq_stmt stmt, const uint8_t* params, size_t params_len, int32_t flags) {
  Statement* st = FindStatement(stmt);
  if (st == nullptr) return BadStatement(stmt);
  State& s = S();
  s.error.Clear();
  int rc = st->Run(params, params_len, static_cast<uint32_t>(flags), &s.out, &s.error);
  return rc == SQLITE_OK ? Respond(SQLITE_OK) : Fail(s.error);
}

WSQ_EXPORT("wsq_stmt_columns") int32_t wsq_stmt_columns(wsq_stmt stmt) {
  Statement* st = FindStatement(stmt);
  if (st == nullptr) return BadStatement(stmt);
  st->Columns(&S().out);
  return Respond(SQLITE_OK);
}

WSQ_EXPORT("wsq_stmt_reset") int32_t wsq_stmt_reset(wsq_stmt stmt) {
  Statement* st = FindStatement(stmt);
  if (st == nullptr) return BadStatement(stmt);
  st->Reset();
  return RespondEmpty(SQLITE_OK);
}

WSQ_EXPORT("wsq_stmt_clear_bindings") int32_t wsq_stmt_clear_bindings(wsq_stmt stmt) {
  Statement* st = FindStatement(stmt);
  if (st == nullptr) return BadStatement(stmt);
  st->ClearBindings();
  return RespondEmpty(SQLITE_OK);
}

WSQ_EXPORT("wsq_stmt_finalize") int32_t wsq_stmt_finalize(wsq_stmt stmt) {
  State& s = S();
  auto owner = s.statement_owner.find(stmt);
  Connection* c = owner != s.statement_owner.end() ? FindConnection(owner->second) : nullptr;
  if (c == nullptr || !c->Finalize(stmt)) return BadStatement(stmt);
  s.statement_owner.erase(owner);
  return RespondEmpty(SQLITE_OK);
}

}  // extern "C"
