// Changesets: the changes of a piece of work recorded with SQLite's session extension, applied to
// another database under a conflict policy, and inverted.
#ifndef WEB_SQLITE_CHANGESET_H_
#define WEB_SQLITE_CHANGESET_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "web_sqlite/error.h"
#include "web_sqlite/sqlite.h"

extern "C" {
/// The session extension's pre-update hook, for the list of sessions that starts at sessions
/// (core/src/sqlite/amalgamation.c).
void wsq_session_preupdate(void* sessions, sqlite3* db, int op, const char* schema,
                           const char* table, sqlite3_int64 key1, sqlite3_int64 key2);
}

namespace wsq {

/// Bytes SQLite allocated (a changeset, an exported file), freed with sqlite3_free.
struct SqliteFree {
  void operator()(void* p) const { sqlite3_free(p); }
};
using SqliteBytes = std::unique_ptr<unsigned char, SqliteFree>;

/// Records every change made through one connection to the tables of its main database, tables
/// without a PRIMARY KEY included (by rowid), from Start on.
class Session {
 public:
  static int Start(sqlite3* db, std::unique_ptr<Session>* out, Error* error);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { sqlite3session_delete(session_); }

  /// The changes recorded so far as a changeset (*data is null when there were none).
  int Changeset(SqliteBytes* data, size_t* size, Error* error);

 private:
  explicit Session(sqlite3_session* session) : session_(session) {}
  sqlite3_session* session_;
};

/// What a change that conflicts with the database does (WSQ_CONFLICT_* in web_sqlite.h).
enum class ConflictPolicy { kOmit = 0, kReplace = 1, kAbort = 2 };

/// Applies a changeset to db's main database in one savepoint: all of it, or (an abort, a
/// changeset for a table db lacks, damaged bytes) nothing. *conflicts counts the changes that
/// met a conflict and were omitted or replaced.
int ApplyChangeset(sqlite3* db, const uint8_t* data, size_t size, ConflictPolicy policy,
                   int64_t* conflicts, Error* error);

/// The changeset that undoes data.
int InvertChangeset(const uint8_t* data, size_t size, SqliteBytes* out, size_t* out_size,
                    Error* error);

}  // namespace wsq

#endif  // WEB_SQLITE_CHANGESET_H_
