// Encodes a statement's result (header, column names, typed cells) into one buffer
// (docs/FORMAT.md, "result"). The host decodes it once, on its side, with no call per cell.
#ifndef WEB_SQLITE_RESULT_ENCODER_H_
#define WEB_SQLITE_RESULT_ENCODER_H_

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "web_sqlite/byte_writer.h"
#include "web_sqlite/sqlite.h"

namespace wsq {

class ResultEncoder {
 public:
  static constexpr size_t kHeaderSize = 32;

  explicit ResultEncoder(ByteWriter* out) : out_(out) {}

  /// Starts a result, dropping anything written before. stmt (may be null: no columns) gives the
  /// column count, and the names when with_names is set. Call it after the statement's first
  /// step: a step may re-prepare the statement and change its columns.
  void Begin(sqlite3_stmt* stmt, bool with_names);
  /// Starts a result with these column names, for rows built value by value (reports).
  void Begin(std::initializer_list<std::string_view> names);
  /// Starts a result of `columns` unnamed columns (the arguments of a function call).
  void BeginUnnamed(uint32_t columns);
  /// Appends the current row of stmt (after sqlite3_step returned SQLITE_ROW).
  void AddRow(sqlite3_stmt* stmt);
  /// Appends one cell of a row built value by value; EndRow() after the row's last cell.
  void AddInt(int64_t v);
  void AddFloat(double v);
  void AddText(std::string_view v);
  /// Appends one SQLite value (a column or a function argument) as a cell.
  void AddValue(sqlite3_value* v);
  void EndRow() { ++rows_; }
  /// Completes the header.
  void Finish(int64_t changes, int64_t last_insert_rowid, uint32_t flags);

  uint32_t rows() const { return rows_; }
  uint32_t columns() const { return columns_; }

 private:
  ByteWriter* out_;
  uint32_t columns_ = 0;
  uint32_t rows_ = 0;
  bool with_names_ = false;
};

/// Writes the column description of docs/FORMAT.md ("columns"): names and declared types.
void EncodeColumns(sqlite3_stmt* stmt, ByteWriter* out);

}  // namespace wsq

#endif  // WEB_SQLITE_RESULT_ENCODER_H_
