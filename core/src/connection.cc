#include "web_sqlite/connection.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "web_sqlite.h"
#include "web_sqlite/host.h"
#include "web_sqlite/param_decoder.h"
#include "web_sqlite/result_encoder.h"

namespace wsq {
namespace {

/// Statements and sessions share one numbering: a handle names one of them.
uint32_t NextHandle() {
  static uint32_t next = 0;
  if (++next == 0) ++next;  // 0 is never a handle
  return next;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ';';
}

const char* SkipSpace(const char* p, const char* end) {
  while (p < end && IsSpace(*p)) ++p;
  return p;
}

bool OnlySpace(const char* p, const char* end) { return SkipSpace(p, end) == end; }

int TooBig(Error* error) { return error->Set(SQLITE_TOOBIG, "the SQL text is longer than 2 GiB"); }

}  // namespace

int Connection::Open(const std::string& path, int flags, const std::string& vfs, const Key& key,
                     std::unique_ptr<Connection>* out, Error* error) {
  sqlite3* db = nullptr;
  const std::string via = CipherVfs(vfs);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_EXRESCODE,
                           via.empty() ? nullptr : via.c_str());
  if (rc != SQLITE_OK) {
    error->FromDb(db, rc);
    if (db == nullptr) error->message = "out of memory opening '" + path + "'";
    sqlite3_close(db);
    return error->code;
  }
  rc = Unlock(db, path, key, error);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return rc;
  }
  const bool encrypted = key.given();
  sqlite3_extended_result_codes(db, 1);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  out->reset(new Connection(db));
  Connection* self = out->get();
  self->encrypted_ = encrypted;
  sqlite3_preupdate_hook(db, &Connection::PreUpdate, self);
  sqlite3_commit_hook(db, &Connection::OnCommit, self);
  sqlite3_rollback_hook(db, &Connection::OnRollback, self);
  // Innocuous: the triggers of synced tables call it, and a schema need not be trusted for that.
  sqlite3_create_function_v2(db, "wsq_sync_txn", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, self,
                             &Connection::CaptureTxn, nullptr, nullptr, nullptr);
  return SQLITE_OK;
}

int Connection::Rekey(const Key& key, Error* error) {
  const int rc = wsq::Rekey(db_, encrypted_, key, error);
  if (rc == SQLITE_OK) encrypted_ = key.given();
  return rc;
}

void Connection::CaptureTxn(sqlite3_context* ctx, int, sqlite3_value**) {
  auto* c = static_cast<Connection*>(sqlite3_user_data(ctx));
  if (!c->capture_) {
    sqlite3_result_null(ctx);
    return;
  }
  if (c->txn_ == 0) {
    // Ids of one process increase from a random start, so that those of two processes (or two
    // runs) that write one outbox do not meet; below 2^53, for JavaScript.
    static int64_t next = 0;
    if (next == 0 || next >= (int64_t{1} << 53)) {
      sqlite3_randomness(sizeof(next), &next);
      next = (next & ((int64_t{1} << 51) - 1)) + 1;
    }
    c->txn_ = next++;
  }
  sqlite3_result_int64(ctx, c->txn_);
}

void Connection::Note(std::vector<std::string>* names, std::string name) {
  // A transaction touches few tables, and mostly the same one row after row.
  for (auto it = names->rbegin(); it != names->rend(); ++it) {
    if (*it == name) return;
  }
  names->push_back(std::move(name));
}

bool Connection::Visible(std::string_view schema, std::string_view table, std::string* name) {
  if (schema == "temp") return false;
  if (schema == "main") {
    name->assign(table);
  } else {
    name->assign(schema).append(".").append(table);
  }
  return true;
}

void Connection::PreUpdate(void* self, sqlite3* db, int op, const char* schema, const char* table,
                           sqlite3_int64 key1, sqlite3_int64 key2) {
  auto* c = static_cast<Connection*>(self);
  if (c->session_list_ != nullptr) {
    wsq_session_preupdate(c->session_list_, db, op, schema, table, key1, key2);
  }
  std::string_view s(schema);
  // Mostly the same table row after row.
  if (!c->changing_.empty() && c->changing_.back() == table && s == "main") return;
  std::string name;
  if (Visible(s, table, &name)) c->Note(&c->changing_, std::move(name));
}

int Connection::NoteRead(void* reads, int action, const char* table, const char*,
                         const char* schema, const char*) {
  // The schema is null where the SQL names a table without one and reads none of its columns
  // (SELECT count(*) FROM t); the names are as the SQL spells them there.
  if (action == SQLITE_READ && table != nullptr) {
    auto* list = static_cast<std::vector<std::pair<std::string, std::string>>*>(reads);
    std::pair<std::string, std::string> read(schema != nullptr ? schema : "", table);
    if (std::find(list->begin(), list->end(), read) == list->end()) list->push_back(read);
  }
  return SQLITE_OK;
}

int Connection::TablesRead(std::string_view sql, ByteWriter* out, Error* error) {
  if (sql.size() > INT_MAX) return TooBig(error);
  std::vector<std::pair<std::string, std::string>> reads;  // (schema or "", table)
  sqlite3_stmt* stmt = nullptr;
  sqlite3_set_authorizer(db_, &Connection::NoteRead, &reads);
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, nullptr);
  if (rc != SQLITE_OK) error->FromDb(db_, rc);
  sqlite3_set_authorizer(db_, nullptr, nullptr);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) return rc;
  if (stmt == nullptr) return error->Set(SQLITE_MISUSE, "the SQL text holds no statement");

  // Every table with its schema, exact name and type, to resolve the reads against.
  struct Listed {
    std::string schema, name, type;
  };
  std::vector<Listed> tables;
  rc = sqlite3_prepare_v2(db_, "SELECT schema, name, type FROM pragma_table_list", -1, &stmt,
                          nullptr);
  if (rc != SQLITE_OK) return error->FromDb(db_, rc);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    auto text = [&](int i) { return reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)); };
    tables.push_back({text(0), text(1), text(2)});
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return error->FromDb(db_, rc);

  auto same = [](const std::string& a, const std::string& b) {
    return sqlite3_stricmp(a.c_str(), b.c_str()) == 0;
  };
  // A name without a schema is found as SQLite finds it: temp, then main, then attached ones.
  auto rank = [](const std::string& schema) {
    return schema == "temp" ? 0 : schema == "main" ? 1 : 2;
  };
  std::vector<std::string> names;
  std::string name;
  for (const auto& [schema, table] : reads) {
    const Listed* found = nullptr;
    for (const Listed& t : tables) {
      if (!same(t.name, table) || (!schema.empty() && !same(t.schema, schema))) continue;
      if (found == nullptr || rank(t.schema) < rank(found->schema)) found = &t;
    }
    if (found == nullptr || !Visible(found->schema, found->name, &name)) continue;
    Note(&names, name);
    if (found->type != "virtual") continue;
    // A virtual table's rows are in its shadow tables (FTS5's t_data, t_content, ...; R*Tree's
    // t_node, ...): the tables a write to it changes.
    std::string prefix = found->name + "_";
    for (const Listed& t : tables) {
      if (t.type == "shadow" && t.schema == found->schema &&
          t.name.compare(0, prefix.size(), prefix) == 0 && Visible(t.schema, t.name, &name)) {
        Note(&names, name);
      }
    }
  }
  for (const std::string& n : names) {
    out->PutRaw(n.data(), n.size());
    out->PutU8(0);
  }
  return SQLITE_OK;
}

int Connection::StartSession(uint32_t* id, Error* error) {
  *id = 0;
  std::unique_ptr<Session> session;
  sqlite3_preupdate_hook(db_, nullptr, session_list_);
  int rc = Session::Start(db_, &session, error);  // links the new session in front
  session_list_ = sqlite3_preupdate_hook(db_, &Connection::PreUpdate, this);
  if (rc != SQLITE_OK) return rc;
  *id = NextHandle();
  sessions_.emplace(*id, std::move(session));
  return SQLITE_OK;
}

bool Connection::EndSession(uint32_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  sqlite3_preupdate_hook(db_, nullptr, session_list_);
  sessions_.erase(it);  // unlinks it
  session_list_ = sqlite3_preupdate_hook(db_, &Connection::PreUpdate, this);
  return true;
}

Session* Connection::FindSession(uint32_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

int Connection::OnCommit(void* self) {
  DefaultHost()->Committing();
  auto* c = static_cast<Connection*>(self);
  for (auto& name : c->changing_) Note(&c->committed_, std::move(name));
  c->changing_.clear();
  c->txn_ = 0;
  return 0;  // go on with the commit
}

void Connection::OnRollback(void* self) {
  auto* c = static_cast<Connection*>(self);
  c->changing_.clear();
  c->txn_ = 0;
}

void Connection::TakeCommittedTables(ByteWriter* out) {
  for (const std::string& name : committed_) {
    out->PutRaw(name.data(), name.size());
    out->PutU8(0);
  }
  committed_.clear();
}

void Connection::SetDeadline(double deadline_ms) {
  if (deadline_ms == deadline_ms_) return;
  deadline_ms_ = deadline_ms;
  // The clock is read once per kProgressOps virtual machine steps: cheap, and fine-grained
  // enough that a statement stops within a millisecond or so of its deadline.
  constexpr int kProgressOps = 1000;
  if (deadline_ms > 0) {
    sqlite3_progress_handler(db_, kProgressOps, &Connection::Progress, this);
  } else {
    sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  }
}

int Connection::Progress(void* self) {
  return DefaultHost()->NowMs() >= static_cast<Connection*>(self)->deadline_ms_ ? 1 : 0;
}

int Connection::Export(unsigned char** data, int64_t* size, Error* error, bool pages) {
  *data = nullptr;
  *size = 0;
  if (!autocommit()) {
    return error->Set(SQLITE_MISUSE,
                      "export cannot run inside a transaction: commit or roll back first");
  }
  // An encrypted database exports as its file is, encrypted (its pages read through SQLite
  // would be plain).
  if (encrypted_ && !pages) return ExportEncrypted(db_, data, size, error);
  sqlite3_int64 n = 0;
  // The copy of the file is bounded by the wasm memory, not by SQLite's heap limit (which is
  // there to stop runaway queries): a database larger than the limit still exports.
  sqlite3_int64 heap_limit = sqlite3_hard_heap_limit64(-1);
  sqlite3_hard_heap_limit64(0);
  *data = sqlite3_serialize(db_, "main", &n, 0);
  sqlite3_hard_heap_limit64(heap_limit);
  if (*data == nullptr) {
    if (n == 0 && sqlite3_errcode(db_) == SQLITE_OK) return SQLITE_OK;  // an empty database
    if (sqlite3_errcode(db_) != SQLITE_OK) return error->FromDb(db_, sqlite3_errcode(db_));
    return error->Set(SQLITE_NOMEM,
                      "out of memory exporting the database (" + std::to_string(n) + " bytes)");
  }
  *size = n;
  return SQLITE_OK;
}

Connection::~Connection() {
  statements_.clear();
  // Sessions go before the close, with their list in place for the extension to unlink.
  sqlite3_preupdate_hook(db_, nullptr, session_list_);
  sessions_.clear();
  cache_.Clear();
  sqlite3_close_v2(db_);
}

int Connection::Exec(std::string_view sql, const uint8_t* params_data, size_t params_size,
                     uint32_t flags, ByteWriter* out, Error* error) {
  if (sql.size() > INT_MAX) return TooBig(error);
  ParamDecoder params;
  if (!params.Decode(params_data, params_size, error)) return error->code;

  bool want_rows = (flags & WSQ_RUN_ROWS) != 0;
  ResultEncoder encoder(out);
  encoder.Begin(nullptr, want_rows);
  int64_t changes = 0;
  bool params_bound = false;
  const char* begin = sql.data();
  const char* end = begin + sql.size();
  const char* p = begin;
  std::string text;  // a NUL-terminated copy of sql, made at the first prepare

  while (p < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = end;
    bool cacheable = false;
    if (p == begin) {
      // A whole text that is one statement is cached under that text.
      stmt = cache_.Take(sql);
      cacheable = stmt != nullptr;
    }
    if (stmt == nullptr) {
      // SQLite copies the text it is given unless a NUL ends it; for a script that copy would be
      // made again for every statement, of the whole rest (quadratic). One terminated copy, and
      // a length that includes its NUL, keep a script of any length linear.
      if (text.empty()) {
        text.assign(sql);
        size_t at = static_cast<size_t>(p - begin);
        begin = text.c_str();
        end = begin + sql.size();
        p = begin + at;
      }
      int rc = sqlite3_prepare_v3(db_, p, static_cast<int>(end - p) + 1,
                                  p == begin ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
      if (rc != SQLITE_OK) {
        error->FromDb(db_, rc);
        if (error->offset >= 0) error->offset += static_cast<int>(p - begin);
        return error->code;
      }
      if (stmt == nullptr) {  // only comments or white space
        p = tail;
        continue;
      }
      cacheable = p == begin && OnlySpace(tail, end);
    }

    int rc = SQLITE_OK;
    if (sqlite3_bind_parameter_count(stmt) > 0) {
      if (params_bound) {
        int at = static_cast<int>(SkipSpace(p, tail) - begin);
        rc = error->Set(SQLITE_RANGE,
                        "parameters bind to one statement of a script, and the statement at "
                        "byte " +
                            std::to_string(at) + " has parameters too; run it in a call of its own",
                        at);
      } else {
        rc = params.Bind(stmt, /*copy=*/false, error);
        params_bound = true;
      }
    } else if (!params.empty() && !params_bound && OnlySpace(tail, end)) {
      rc = error->Set(SQLITE_RANGE, std::to_string(params.size()) +
                                        " parameter value(s) were given but the SQL has no "
                                        "parameters");
    }
    if (rc == SQLITE_OK) {
      rc = StepToEnd(stmt, want_rows ? &encoder : nullptr, &changes, error);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (cacheable) {
      cache_.Put(sql, stmt);
    } else {
      sqlite3_finalize(stmt);
    }
    if (rc != SQLITE_OK) return rc;
    p = tail;
  }
  if (!params.empty() && !params_bound) {
    return error->Set(SQLITE_RANGE, std::to_string(params.size()) +
                                        " parameter value(s) were given but the SQL has no "
                                        "parameters");
  }
  if (!out->ok()) return error->Set(SQLITE_NOMEM, "out of memory while encoding the result");
  encoder.Finish(changes, sqlite3_last_insert_rowid(db_), 0);
  return SQLITE_OK;
}

int Connection::Prepare(std::string_view sql, uint32_t flags, Statement** out, size_t* tail,
                        Error* error) {
  *out = nullptr;
  *tail = sql.size();
  if (sql.size() > INT_MAX) return TooBig(error);
  sqlite3_stmt* stmt = nullptr;
  const char* end = nullptr;
  unsigned prep_flags = (flags & WSQ_PREPARE_PERSISTENT) ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), prep_flags, &stmt, &end);
  if (rc != SQLITE_OK) return error->FromDb(db_, rc);
  *tail = static_cast<size_t>(end - sql.data());
  if (stmt == nullptr) return SQLITE_OK;
  uint32_t id = NextHandle();
  auto owned = std::make_unique<Statement>(this, id, stmt);
  *out = owned.get();
  statements_.emplace(id, std::move(owned));
  return SQLITE_OK;
}

int Connection::OpenCursor(std::string_view sql, const uint8_t* params, size_t params_size,
                           uint32_t max_rows, ByteWriter* out, Statement** out_stmt, Error* error) {
  *out_stmt = nullptr;
  Statement* stmt = nullptr;
  size_t tail = 0;
  int rc = Prepare(sql, 0, &stmt, &tail, error);
  if (rc != SQLITE_OK) return rc;
  if (stmt == nullptr) return error->Set(SQLITE_MISUSE, "the SQL text holds no statement");
  rc = params_size > 0 ? stmt->Bind(params, params_size, error) : SQLITE_OK;
  if (rc == SQLITE_OK) rc = stmt->Step(max_rows, out, error, /*with_names=*/true);
  if (rc == SQLITE_ROW) {
    *out_stmt = stmt;
    return SQLITE_ROW;
  }
  Finalize(stmt->id());
  return rc;
}

Statement* Connection::FindStatement(uint32_t id) const {
  auto it = statements_.find(id);
  return it == statements_.end() ? nullptr : it->second.get();
}

bool Connection::Finalize(uint32_t id) { return statements_.erase(id) != 0; }

void Connection::EncodeState(ByteWriter* out) const {
  ResultEncoder encoder(out);
  encoder.Begin(nullptr, false);
  encoder.Finish(changes(), last_insert_rowid(), autocommit() ? WSQ_RESULT_AUTOCOMMIT : 0);
}

}  // namespace wsq
