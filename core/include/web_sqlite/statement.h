// A prepared statement owned by a Connection, with its handle id for the C ABI.
#ifndef WEB_SQLITE_STATEMENT_H_
#define WEB_SQLITE_STATEMENT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "web_sqlite/byte_writer.h"
#include "web_sqlite/error.h"
#include "web_sqlite/param_decoder.h"
#include "web_sqlite/sqlite.h"

namespace wsq {

class Connection;
class ResultEncoder;

class Statement {
 public:
  /// Takes ownership of stmt; the destructor finalizes it.
  Statement(Connection* connection, uint32_t id, sqlite3_stmt* stmt)
      : connection_(connection), id_(id), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  uint32_t id() const { return id_; }
  sqlite3_stmt* raw() const { return stmt_; }
  Connection* connection() const { return connection_; }

  /// Binds a parameter buffer, copying text and blobs. Bindings persist across Reset().
  int Bind(const uint8_t* params, size_t size, Error* error);
  /// Binds a buffer of exactly one value (see ParamDecoder::BindOne); other bindings stay.
  int BindOne(const uint8_t* params, size_t size, int index, Error* error);
  /// Steps up to max_rows times, encoding the rows read into out (with the column names when
  /// with_names). Returns SQLITE_ROW if more rows remain, SQLITE_DONE when finished, or an error
  /// (statement reset).
  int Step(uint32_t max_rows, ByteWriter* out, Error* error, bool with_names = false);
  /// One whole execution: bind params (if any), step to the end (with WSQ_RUN_FIRST_ROW: to the
  /// first row), reset, clear what was bound. With WSQ_RUN_ROWS the rows are encoded, with the
  /// column names.
  int Run(const uint8_t* params, size_t size, uint32_t flags, ByteWriter* out, Error* error);
  /// Rewinds the statement; bindings are kept.
  void Reset();
  void ClearBindings();
  /// Writes the column names and declared types.
  void Columns(ByteWriter* out) const;

  int column_count() const { return sqlite3_column_count(stmt_); }
  int parameter_count() const { return sqlite3_bind_parameter_count(stmt_); }
  bool readonly() const { return sqlite3_stmt_readonly(stmt_) != 0; }
  std::string_view sql() const { return sqlite3_sql(stmt_); }

 private:
  Connection* connection_;
  uint32_t id_;
  sqlite3_stmt* stmt_;
};

/// Steps stmt to completion, or until it has read max_rows rows, adding the rows to encoder when
/// it is not null (restarted with the statement's columns if it has any), and adds the rows the
/// statement inserted, updated or deleted to *changes. Returns SQLITE_DONE, SQLITE_ROW when it
/// stopped at max_rows, or an error (with the statement reset).
int StepToEnd(sqlite3_stmt* stmt, ResultEncoder* encoder, int64_t* changes, Error* error,
              uint32_t max_rows = UINT32_MAX);

}  // namespace wsq

#endif  // WEB_SQLITE_STATEMENT_H_
