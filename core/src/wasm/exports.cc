// The C ABI of web_sqlite.h: the only exported symbols of the wasm module. Every handle and
// buffer that arrives here is checked before use; errors leave through the response record.
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>

#include "web_sqlite.h"
#include "web_sqlite/byte_writer.h"
#include "web_sqlite/changeset.h"
#include "web_sqlite/connection.h"
#include "web_sqlite/error.h"
#include "web_sqlite/functions.h"
#include "web_sqlite/host.h"
#include "web_sqlite/kv_host.h"
#include "web_sqlite/result_codes.h"
#include "web_sqlite/result_encoder.h"
#include "web_sqlite/vfs.h"

#if defined(__wasm__)
#define WSQ_EXPORT(name) __attribute__((export_name(name)))
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
  /// The connection of each statement and session (they share one numbering).
  std::unordered_map<uint32_t, wsq_conn> owner;
  wsq_conn next_connection = 0;
  Error error;
  bool initialized = false;
  /// The deadline the host wrote for its calls (wsq_deadline_slot).
  double deadline_ms = 0;
  /// Bytes SQLite allocated for the last call's response (an export, a changeset), owned until
  /// the next call.
  wsq::SqliteBytes owned;
  size_t owned_size = 0;
};

State& S() {
  static State* state = new State();
  return *state;
}

bool Succeeded(int rc) { return rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE; }

/// Starts a call: the last call's output and error are gone.
State& Begin() {
  State& s = S();
  s.error.Clear();
  s.out.Clear();
  s.owned.reset();
  s.owned_size = 0;
  return s;
}

/// Ends every call: the status, and the bytes the host reads (the result the call wrote, bytes
/// SQLite allocated, or the error record). A failure on connection says whether the connection is
/// in autocommit mode afterwards.
int32_t Respond(int rc, const Connection* connection = nullptr) {
  State& s = S();
  if (!Succeeded(rc)) {
    uint32_t flags = connection != nullptr && connection->autocommit() ? WSQ_ERROR_AUTOCOMMIT : 0;
    s.error.Encode(&s.out, flags);
  }
  if (Succeeded(rc) && s.owned) {
    s.response = {rc, s.owned.get(), s.owned_size};
  } else {
    s.response = {rc, s.out.data(), s.out.size()};
  }
  return rc;
}

int32_t Fail(int code, std::string message) {
  S().error.Set(code, std::move(message));
  return Respond(code);
}

int32_t NotInitialized() { return Fail(SQLITE_MISUSE, "wsq_init() has not been called"); }

Connection* FindConnection(wsq_conn id) {
  auto it = S().connections.find(id);
  return it == S().connections.end() ? nullptr : it->second.get();
}

/// The connection of a statement or session handle, or null.
Connection* FindOwner(uint32_t id) {
  State& s = S();
  auto owner = s.owner.find(id);
  return owner == s.owner.end() ? nullptr : FindConnection(owner->second);
}

Statement* FindStatement(wsq_stmt id) {
  Connection* connection = FindOwner(id);
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

/// The one path of a call on a connection: find it, apply the host's deadline, run
/// call(connection, state) (a core function's status, its result written to state.out, its
/// failure to state.error), respond.
template <typename Call>
int32_t OnConnection(wsq_conn id, Call&& call) {
  State& s = Begin();
  Connection* c = FindConnection(id);
  if (c == nullptr) return BadConnection(id);
  c->SetDeadline(s.deadline_ms);
  return Respond(call(*c, s), c);
}

/// OnConnection for a call on a statement.
template <typename Call>
int32_t OnStatement(wsq_stmt id, Call&& call) {
  State& s = Begin();
  Statement* st = FindStatement(id);
  if (st == nullptr) return BadStatement(id);
  Connection* c = st->connection();
  c->SetDeadline(s.deadline_ms);
  return Respond(call(*st, s), c);
}

/// Keeps a statement the core prepared reachable by its handle.
wsq_stmt Register(Statement* stmt, wsq_conn conn) {
  if (stmt == nullptr) return 0;
  S().owner.emplace(stmt->id(), conn);
  return stmt->id();
}

void LogToHost(void*, int code, const char* message) { wsq::DefaultHost()->Log(code, message); }

}  // namespace

extern "C" {

WSQ_EXPORT("wsq_init") int32_t wsq_init(void) {
  State& s = Begin();
  if (s.initialized) return Respond(SQLITE_OK);
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
  // Out of memory fails fast, long before the wasm memory's 2 GiB are reached by growing it.
  sqlite3_hard_heap_limit64(WSQ_DEFAULT_HEAP_LIMIT);
  s.initialized = true;
  return Respond(SQLITE_OK);
}

WSQ_EXPORT("wsq_last_response") const wsq_response* wsq_last_response(void) {
  return &S().response;
}

WSQ_EXPORT("wsq_response_layout") const uint32_t* wsq_response_layout(void) {
  static const uint32_t layout[] = {offsetof(wsq_response, status), offsetof(wsq_response, data),
                                    offsetof(wsq_response, len), sizeof(wsq_response)};
  return layout;
}

WSQ_EXPORT("wsq_deadline_slot") double* wsq_deadline_slot(void) { return &S().deadline_ms; }

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
                 const uint8_t* key, size_t key_len, int32_t key_kind, wsq_conn* out) {
  State& s = Begin();
  *out = 0;
  if (!s.initialized) return NotInitialized();
  std::unique_ptr<Connection> connection;
  int rc = Connection::Open(std::string(path, path_len), flags, std::string(vfs, vfs_len),
                            wsq::Key{key_kind, key, key_len}, &connection, &s.error);
  if (rc != SQLITE_OK) return Respond(rc);
  if (++s.next_connection == 0) ++s.next_connection;
  s.connections.emplace(s.next_connection, std::move(connection));
  *out = s.next_connection;
  return Respond(SQLITE_OK);
}

WSQ_EXPORT("wsq_rekey")
int32_t wsq_rekey(wsq_conn conn, const uint8_t* key, size_t key_len, int32_t key_kind) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    return c.Rekey(wsq::Key{key_kind, key, key_len}, &s.error);
  });
}

WSQ_EXPORT("wsq_has_cipher") int32_t wsq_has_cipher(void) { return wsq::HasCipher() ? 1 : 0; }

WSQ_EXPORT("wsq_file_kind") int32_t wsq_file_kind(const uint8_t* header, size_t len) {
  return wsq::FileKind(header, len);
}

// The one call that destroys its connection, so it does not go through OnConnection.
WSQ_EXPORT("wsq_close") int32_t wsq_close(wsq_conn conn) {
  State& s = Begin();
  auto it = s.connections.find(conn);
  if (it == s.connections.end()) return BadConnection(conn);
  for (auto owner = s.owner.begin(); owner != s.owner.end();) {
    owner = owner->second == conn ? s.owner.erase(owner) : std::next(owner);
  }
  s.connections.erase(it);  // finalizes the statements, then closes
  return Respond(SQLITE_OK);
}

WSQ_EXPORT("wsq_busy_timeout") int32_t wsq_busy_timeout(wsq_conn conn, int32_t ms) {
  return OnConnection(conn, [&](Connection& c, State&) { return c.SetBusyTimeout(ms); });
}

WSQ_EXPORT("wsq_exec")
int32_t wsq_exec(wsq_conn conn, const char* sql, size_t sql_len, const uint8_t* params,
                 size_t params_len, int32_t flags) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    return c.Exec(std::string_view(sql, sql_len), params, params_len, static_cast<uint32_t>(flags),
                  &s.out, &s.error);
  });
}

WSQ_EXPORT("wsq_export") int32_t wsq_export(wsq_conn conn, int32_t flags) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    unsigned char* data = nullptr;
    int64_t size = 0;
    int rc = c.Export(&data, &size, &s.error, (flags & WSQ_EXPORT_PAGES) != 0);
    if (rc != SQLITE_OK) return rc;
    s.owned.reset(data);
    if (static_cast<uint64_t>(size) > UINT32_MAX) {
      s.owned.reset();
      return s.error.Set(SQLITE_TOOBIG,
                         "the database is larger than 4 GiB and cannot be exported at once");
    }
    s.owned_size = static_cast<size_t>(size);
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_create_function")
int32_t wsq_create_function(wsq_conn conn, const char* name, size_t name_len, int32_t n_args,
                            int32_t flags, uint32_t id) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    return wsq::CreateFunction(c.db(), std::string(name, name_len), n_args, flags, id, &s.error);
  });
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
  return OnConnection(conn, [&](Connection& c, State& s) {
    const char* file = sqlite3_db_filename(c.db(), "main");
    const wsq::IoStats* found = file != nullptr ? wsq::DefaultHostVfs()->FindStats(file) : nullptr;
    wsq::IoStats stats = found != nullptr ? *found : wsq::IoStats{};
    wsq::ResultEncoder encoder(&s.out);
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
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_self_test")
int32_t wsq_self_test(const char* vfs, size_t vfs_len, const char* path, size_t path_len) {
  State& s = Begin();
  if (!s.initialized) return NotInitialized();
  std::string vfs_name(vfs, vfs_len);
  sqlite3_vfs* target = sqlite3_vfs_find(vfs_name.empty() ? nullptr : vfs_name.c_str());
  // SQLITE_ERROR is the answer of a test that ran and failed (the report is the result).
  if (target == nullptr) return Fail(SQLITE_MISUSE, "no such VFS: '" + vfs_name + "'");
  wsq::ResultEncoder encoder(&s.out);
  bool ok = wsq::SelfTest(target, std::string(path, path_len), &encoder);
  encoder.Finish(0, 0, 0);
  // A failed step is reported in the result, not as an error record.
  s.response = {ok ? SQLITE_OK : SQLITE_ERROR, s.out.data(), s.out.size()};
  return s.response.status;
}

WSQ_EXPORT("wsq_conn_state") int32_t wsq_conn_state(wsq_conn conn) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    c.EncodeState(&s.out);
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_conn_flags") int32_t wsq_conn_flags(wsq_conn conn) {
  const Connection* c = FindConnection(conn);
  if (c == nullptr) return -1;
  return (c->autocommit() ? 0 : WSQ_CONN_IN_TRANSACTION) |
         (c->has_committed_tables() ? WSQ_CONN_CHANGES : 0);
}

WSQ_EXPORT("wsq_conn_capture") int32_t wsq_conn_capture(wsq_conn conn, int32_t on) {
  Connection* c = FindConnection(conn);
  if (c == nullptr) return -1;
  c->set_capture(on != 0);
  return 0;
}

WSQ_EXPORT("wsq_conn_changes") int32_t wsq_conn_changes(wsq_conn conn) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    c.TakeCommittedTables(&s.out);
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_tables_read")
int32_t wsq_tables_read(wsq_conn conn, const char* sql, size_t sql_len) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    return c.TablesRead(std::string_view(sql, sql_len), &s.out, &s.error);
  });
}

WSQ_EXPORT("wsq_session_start") int32_t wsq_session_start(wsq_conn conn, wsq_session* out) {
  *out = 0;
  return OnConnection(conn, [&](Connection& c, State& s) {
    int rc = c.StartSession(out, &s.error);
    if (rc == SQLITE_OK) s.owner.emplace(*out, conn);
    return rc;
  });
}

WSQ_EXPORT("wsq_session_changeset")
int32_t wsq_session_changeset(wsq_session session, int32_t end) {
  State& s = Begin();
  Connection* c = FindOwner(session);
  wsq::Session* recording = c != nullptr ? c->FindSession(session) : nullptr;
  if (recording == nullptr) {
    return Fail(SQLITE_MISUSE,
                "the recording of changes has ended or its database is closed "
                "(handle " +
                    std::to_string(session) + ")");
  }
  int rc = recording->Changeset(&s.owned, &s.owned_size, &s.error);
  if (end != 0) {
    c->EndSession(session);
    s.owner.erase(session);
  }
  return Respond(rc, c);
}

WSQ_EXPORT("wsq_changeset_apply")
int32_t wsq_changeset_apply(wsq_conn conn, const uint8_t* data, size_t len, int32_t policy) {
  return OnConnection(conn, [&](Connection& c, State& s) {
    if (policy < WSQ_CONFLICT_OMIT || policy > WSQ_CONFLICT_ABORT) {
      return s.error.Set(SQLITE_MISUSE, "no such conflict policy: " + std::to_string(policy));
    }
    int64_t conflicts = 0;
    int rc = wsq::ApplyChangeset(c.db(), data, len, static_cast<wsq::ConflictPolicy>(policy),
                                 &conflicts, &s.error);
    if (rc != SQLITE_OK) return rc;
    wsq::ResultEncoder encoder(&s.out);
    encoder.Begin({"conflicts"});
    encoder.AddInt(conflicts);
    encoder.EndRow();
    encoder.Finish(0, 0, 0);
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_changeset_invert")
int32_t wsq_changeset_invert(const uint8_t* data, size_t len) {
  State& s = Begin();
  if (!s.initialized) return NotInitialized();
  return Respond(wsq::InvertChangeset(data, len, &s.owned, &s.owned_size, &s.error));
}

WSQ_EXPORT("wsq_prepare")
int32_t wsq_prepare(wsq_conn conn, const char* sql, size_t sql_len, int32_t flags, wsq_stmt* out,
                    uint32_t* tail) {
  *out = 0;
  *tail = static_cast<uint32_t>(sql_len);
  return OnConnection(conn, [&](Connection& c, State& s) {
    Statement* stmt = nullptr;
    size_t rest = 0;
    int rc = c.Prepare(std::string_view(sql, sql_len), static_cast<uint32_t>(flags), &stmt, &rest,
                       &s.error);
    if (rc != SQLITE_OK) return rc;
    *tail = static_cast<uint32_t>(rest);
    *out = Register(stmt, conn);
    if (stmt != nullptr) stmt->Columns(&s.out);
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_cursor_open")
int32_t wsq_cursor_open(wsq_conn conn, const char* sql, size_t sql_len, const uint8_t* params,
                        size_t params_len, uint32_t max_rows, wsq_stmt* out) {
  *out = 0;
  return OnConnection(conn, [&](Connection& c, State& s) {
    Statement* stmt = nullptr;
    int rc = c.OpenCursor(std::string_view(sql, sql_len), params, params_len, max_rows, &s.out,
                          &stmt, &s.error);
    *out = Register(stmt, conn);
    return rc;
  });
}

WSQ_EXPORT("wsq_stmt_bind")
int32_t wsq_stmt_bind(wsq_stmt stmt, const uint8_t* params, size_t params_len) {
  return OnStatement(
      stmt, [&](Statement& st, State& s) { return st.Bind(params, params_len, &s.error); });
}

WSQ_EXPORT("wsq_stmt_bind_one")
int32_t wsq_stmt_bind_one(wsq_stmt stmt, const uint8_t* params, size_t params_len, int32_t index) {
  return OnStatement(stmt, [&](Statement& st, State& s) {
    return st.BindOne(params, params_len, index, &s.error);
  });
}

WSQ_EXPORT("wsq_stmt_step") int32_t wsq_stmt_step(wsq_stmt stmt, uint32_t max_rows) {
  return OnStatement(stmt,
                     [&](Statement& st, State& s) { return st.Step(max_rows, &s.out, &s.error); });
}

WSQ_EXPORT("wsq_stmt_run")
int32_t wsq_stmt_run(wsq_stmt stmt, const uint8_t* params, size_t params_len, int32_t flags) {
  return OnStatement(stmt, [&](Statement& st, State& s) {
    return st.Run(params, params_len, static_cast<uint32_t>(flags), &s.out, &s.error);
  });
}

WSQ_EXPORT("wsq_stmt_columns") int32_t wsq_stmt_columns(wsq_stmt stmt) {
  return OnStatement(stmt, [&](Statement& st, State& s) {
    st.Columns(&s.out);
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_stmt_reset") int32_t wsq_stmt_reset(wsq_stmt stmt) {
  return OnStatement(stmt, [&](Statement& st, State&) {
    st.Reset();
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_stmt_clear_bindings") int32_t wsq_stmt_clear_bindings(wsq_stmt stmt) {
  return OnStatement(stmt, [&](Statement& st, State&) {
    st.ClearBindings();
    return SQLITE_OK;
  });
}

WSQ_EXPORT("wsq_stmt_finalize") int32_t wsq_stmt_finalize(wsq_stmt stmt) {
  return OnStatement(stmt, [&](Statement& st, State& s) {
    st.connection()->Finalize(stmt);
    s.owner.erase(stmt);
    return SQLITE_OK;
  });
}

}  // extern "C"
