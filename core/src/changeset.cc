// Changesets over SQLite's session extension. A Session belongs to its connection and is deleted
// before the connection closes. Applying checks first that the database has every table the
// changeset changes, with at least its columns: SQLite would skip such a table's changes with
// only a log line, and a changeset that lands in part is data lost.
#include "web_sqlite/changeset.h"

#include <string>
#include <vector>

namespace wsq {
namespace {

int Damaged(int rc, Error* error) {
  return error->Set(
      rc, std::string("the changeset is damaged or not a changeset (") + sqlite3_errstr(rc) + ")");
}

const char* ConflictKind(int conflict) {
  switch (conflict) {
    case SQLITE_CHANGESET_DATA:
      return "a row to update or delete has other values than the changeset expects";
    case SQLITE_CHANGESET_NOTFOUND:
      return "a row to update or delete is not there";
    case SQLITE_CHANGESET_CONFLICT:
      return "a row to insert is already there (same primary key)";
    case SQLITE_CHANGESET_CONSTRAINT:
      return "a change breaks a constraint (UNIQUE, NOT NULL, CHECK)";
    default:
      return "the changes leave foreign key violations";
  }
}

struct ApplyState {
  ConflictPolicy policy;
  int64_t conflicts = 0;
  /// Why the apply was aborted, for the error.
  std::string abort_reason;
};

int OnConflict(void* ctx, int conflict, sqlite3_changeset_iter* it) {
  auto* state = static_cast<ApplyState*>(ctx);
  const char* table = "";
  int columns = 0;
  int op = 0;
  if (it != nullptr && conflict != SQLITE_CHANGESET_FOREIGN_KEY) {
    sqlite3changeset_op(it, &table, &columns, &op, nullptr);
  }
  // A foreign key violation is never committed, and a constraint only omitted when asked:
  // replacing cannot mend either.
  bool omit = state->policy == ConflictPolicy::kOmit && conflict != SQLITE_CHANGESET_FOREIGN_KEY;
  bool replace = state->policy == ConflictPolicy::kReplace &&
                 (conflict == SQLITE_CHANGESET_DATA || conflict == SQLITE_CHANGESET_CONFLICT);
  // There is nothing to replace where the row is gone: the change is left out.
  bool gone = state->policy == ConflictPolicy::kReplace && conflict == SQLITE_CHANGESET_NOTFOUND;
  if (omit || replace || gone) {
    ++state->conflicts;
    return replace ? SQLITE_CHANGESET_REPLACE : SQLITE_CHANGESET_OMIT;
  }
  state->abort_reason = ConflictKind(conflict);
  if (*table != '\0') state->abort_reason += std::string(" in table '") + table + "'";
  return SQLITE_CHANGESET_ABORT;
}

/// Checks that db's main database has every table of the changeset with at least its columns.
int CheckTables(sqlite3* db, const uint8_t* data, size_t size, Error* error) {
  sqlite3_changeset_iter* it = nullptr;
  int rc = sqlite3changeset_start(&it, static_cast<int>(size), const_cast<uint8_t*>(data));
  if (rc != SQLITE_OK) return Damaged(rc, error);
  sqlite3_stmt* count = nullptr;
  // A table without a PRIMARY KEY is recorded with its rowid as a first column.
  rc = sqlite3_prepare_v2(db, "SELECT count(*) + (max(pk) = 0) FROM pragma_table_xinfo(?1, 'main')",
                          -1, &count, nullptr);
  std::vector<std::string> checked;
  while (rc == SQLITE_OK && sqlite3changeset_next(it) == SQLITE_ROW) {
    const char* table = nullptr;
    int columns = 0;
    int op = 0;
    sqlite3changeset_op(it, &table, &columns, &op, nullptr);
    if (!checked.empty() && checked.back() == table) continue;
    checked.emplace_back(table);
    sqlite3_bind_text(count, 1, table, -1, SQLITE_STATIC);
    int have = sqlite3_step(count) == SQLITE_ROW ? sqlite3_column_int(count, 0) : 0;
    sqlite3_reset(count);
    if (have == 0) {
      rc = error->Set(SQLITE_SCHEMA, std::string("the changeset changes table '") + table +
                                         "', which this database does not have; nothing was "
                                         "applied");
    } else if (have < columns) {
      rc = error->Set(SQLITE_SCHEMA, std::string("the changeset has ") + std::to_string(columns) +
                                         " columns for table '" + table + "', which has " +
                                         std::to_string(have) + " here; nothing was applied");
    }
  }
  if (rc == SQLITE_OK && count == nullptr) rc = error->FromDb(db, sqlite3_errcode(db));
  sqlite3_finalize(count);
  int end = sqlite3changeset_finalize(it);
  if (rc == SQLITE_OK && end != SQLITE_OK) return Damaged(end, error);
  return rc;
}

}  // namespace

int Session::Start(sqlite3* db, std::unique_ptr<Session>* out, Error* error) {
  sqlite3_session* session = nullptr;
  int rc = sqlite3session_create(db, "main", &session);
  if (rc != SQLITE_OK) return error->FromDb(db, rc);
  out->reset(new Session(session));
  int rowid = 1;  // tables without a PRIMARY KEY are recorded by rowid
  rc = sqlite3session_object_config(session, SQLITE_SESSION_OBJCONFIG_ROWID, &rowid);
  if (rc == SQLITE_OK) rc = sqlite3session_attach(session, nullptr);
  if (rc != SQLITE_OK) {
    out->reset();
    return error->Set(rc, std::string("could not start recording changes: ") + sqlite3_errstr(rc));
  }
  return SQLITE_OK;
}

int Session::Changeset(SqliteBytes* data, size_t* size, Error* error) {
  int n = 0;
  void* p = nullptr;
  int rc = sqlite3session_changeset(session_, &n, &p);
  data->reset(static_cast<unsigned char*>(p));
  *size = static_cast<size_t>(n);
  if (rc != SQLITE_OK) {
    return error->Set(rc, std::string("could not make the changeset: ") + sqlite3_errstr(rc));
  }
  return SQLITE_OK;
}

int ApplyChangeset(sqlite3* db, const uint8_t* data, size_t size, ConflictPolicy policy,
                   int64_t* conflicts, Error* error) {
  *conflicts = 0;
  if (size > INT32_MAX) return error->Set(SQLITE_TOOBIG, "the changeset is larger than 2 GiB");
  int rc = CheckTables(db, data, size, error);
  if (rc != SQLITE_OK) return rc;
  ApplyState state{policy, 0, {}};
  rc = sqlite3changeset_apply(db, static_cast<int>(size), const_cast<uint8_t*>(data), nullptr,
                              &OnConflict, &state);
  *conflicts = state.conflicts;
  if (rc == SQLITE_ABORT && !state.abort_reason.empty()) {
    return error->Set(SQLITE_ABORT, "the changeset conflicts with the database: " +
                                        state.abort_reason + "; nothing was applied");
  }
  if (rc == SQLITE_CORRUPT || rc == SQLITE_MISUSE) return Damaged(rc, error);
  if (rc != SQLITE_OK) return error->FromDb(db, rc);
  return SQLITE_OK;
}

int InvertChangeset(const uint8_t* data, size_t size, SqliteBytes* out, size_t* out_size,
                    Error* error) {
  if (size > INT32_MAX) return error->Set(SQLITE_TOOBIG, "the changeset is larger than 2 GiB");
  int n = 0;
  void* p = nullptr;
  int rc = sqlite3changeset_invert(static_cast<int>(size), data, &n, &p);
  out->reset(static_cast<unsigned char*>(p));
  *out_size = static_cast<size_t>(n);
  if (rc != SQLITE_OK) return Damaged(rc, error);
  return SQLITE_OK;
}

}  // namespace wsq
