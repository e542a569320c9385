// A database connection: open/close, scripts, prepared statements and their cache.
#ifndef WEB_SQLITE_CONNECTION_H_
#define WEB_SQLITE_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "web_sqlite/byte_writer.h"
#include "web_sqlite/changeset.h"
#include "web_sqlite/cipher.h"
#include "web_sqlite/error.h"
#include "web_sqlite/sqlite.h"
#include "web_sqlite/statement.h"
#include "web_sqlite/statement_cache.h"

namespace wsq {

class Connection {
 public:
  /// Opens path with SQLITE_OPEN_* flags through vfs (empty: the default VFS), with key (none:
  /// a database that is not encrypted; web_sqlite/cipher.h). Extended result codes and
  /// SQLITE_DBCONFIG_DEFENSIVE are switched on.
  static int Open(const std::string& path, int flags, const std::string& vfs, const Key& key,
                  std::unique_ptr<Connection>* out, Error* error);
  static int Open(const std::string& path, int flags, const std::string& vfs,
                  std::unique_ptr<Connection>* out, Error* error) {
    return Open(path, flags, vfs, Key{}, out, error);
  }

  /// Changes the key of the main database (none: decrypts it).
  int Rekey(const Key& key, Error* error);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  /// Finalizes every statement, then closes the database.
  ~Connection();

  sqlite3* db() const { return db_; }

  /// Runs every statement of sql in order (see wsq_exec in web_sqlite.h for the rules on
  /// parameters and rows) and writes the result buffer to out.
  int Exec(std::string_view sql, const uint8_t* params, size_t params_size, uint32_t flags,
           ByteWriter* out, Error* error);

  /// Prepares the first statement of sql. *out is null when sql holds none; *tail is the byte
  /// offset where the next statement starts. The connection owns the statement.
  int Prepare(std::string_view sql, uint32_t flags, Statement** out, size_t* tail, Error* error);
  /// Prepares the first statement of sql (not kept for reuse), binds params and steps it up to
  /// max_rows times, encoding the rows with their names into out. *out_stmt is the statement
  /// when it has more rows; otherwise null, the statement finalized. SQL without a statement is
  /// SQLITE_MISUSE.
  int OpenCursor(std::string_view sql, const uint8_t* params, size_t params_size, uint32_t max_rows,
                 ByteWriter* out, Statement** out_stmt, Error* error);
  /// The statement with this id, or null.
  Statement* FindStatement(uint32_t id) const;
  /// Finalizes and forgets a statement; false if the id is unknown.
  bool Finalize(uint32_t id);
  size_t statement_count() const { return statements_.size(); }

  int SetBusyTimeout(int ms) { return sqlite3_busy_timeout(db_, ms); }
  /// Interrupts any statement still running at deadline_ms (Unix epoch, host clock) with
  /// SQLITE_INTERRUPT; 0 removes the deadline.
  void SetDeadline(double deadline_ms);
  /// The main database's file as bytes, in one allocation the caller frees with sqlite3_free:
  /// an encrypted database's file as it is, unless pages (sqlite3_serialize: the pages as SQLite
  /// reads them, decrypted). Refused inside a transaction, where the pages may not be committed.
  int Export(unsigned char** data, int64_t* size, Error* error, bool pages = false);
  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t total_changes() const { return sqlite3_total_changes64(db_); }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  /// Writes changes, last insert rowid and autocommit as a result buffer without columns.
  void EncodeState(ByteWriter* out) const;
  /// Writes the names of the tables that transactions committed since the last call changed,
  /// each followed by a NUL ("schema.table" outside main; temp tables are left out), and
  /// forgets them. Nothing when none did.
  void TakeCommittedTables(ByteWriter* out);
  bool has_committed_tables() const { return !committed_.empty(); }
  /// Writes the names of the tables the first statement of sql reads, as SQLite's authorizer
  /// sees them while it prepares the statement (through views, subqueries and CTEs), named as
  /// TakeCommittedTables names them; a virtual table brings its shadow tables along (their rows
  /// are what a write changes). Nothing runs. Setting an authorizer makes SQLite prepare the
  /// connection's other statements again at their next run: a call for rare moments.
  int TablesRead(std::string_view sql, ByteWriter* out, Error* error);

  /// Starts recording the changes made through this connection (Session); *id is its handle.
  int StartSession(uint32_t* id, Error* error);
  /// The session with this id, or null.
  Session* FindSession(uint32_t id) const;
  /// Deletes a session; false if the id is unknown.
  bool EndSession(uint32_t id);

  /// Change capture (wsq_conn_capture in web_sqlite.h): whether wsq_sync_txn() answers.
  void set_capture(bool on) { capture_ = on; }

  StatementCache& cache() { return cache_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  static int Progress(void* self);
  /// Hooks that note the tables each transaction changes (the pre-update hook sees every row
  /// change, WITHOUT ROWID tables and whole-table deletes included).
  static void PreUpdate(void* self, sqlite3* db, int op, const char* schema, const char* table,
                        sqlite3_int64 old_rowid, sqlite3_int64 new_rowid);
  static int OnCommit(void* self);
  static void OnRollback(void* self);
  /// wsq_sync_txn(): the open transaction's capture id, or NULL while capture is off.
  static void CaptureTxn(sqlite3_context* ctx, int argc, sqlite3_value** argv);
  static void Note(std::vector<std::string>* names, std::string name);
  /// The authorizer of TablesRead: notes each (schema, table) a statement reads.
  static int NoteRead(void* names, int action, const char* table, const char* column,
                      const char* schema, const char* via);
  /// The name TakeCommittedTables gives a table of schema: "table" in main, "schema.table" in
  /// an attached database; false for temp tables, which no other connection sees.
  static bool Visible(std::string_view schema, std::string_view table, std::string* name);

  sqlite3* db_;
  double deadline_ms_ = 0;
  StatementCache cache_;
  std::unordered_map<uint32_t, std::unique_ptr<Statement>> statements_;
  std::unordered_map<uint32_t, std::unique_ptr<Session>> sessions_;
  /// The session extension links a connection's sessions through its pre-update hook's context,
  /// where this connection's own hook is: the list is kept here, put in place while a session is
  /// created or deleted, and called from PreUpdate.
  void* session_list_ = nullptr;
  /// Tables changed by the open transaction, and by committed ones not taken yet.
  std::vector<std::string> changing_;
  std::vector<std::string> committed_;
  bool capture_ = true;
  /// Whether the main database is encrypted with this connection's key (Open, Rekey).
  bool encrypted_ = false;
  /// The open transaction's capture id (0: none asked for yet); ended by commit or rollback.
  int64_t txn_ = 0;
};

}  // namespace wsq

#endif  // WEB_SQLITE_CONNECTION_H_
