#include "web_sqlite/statement.h"

#include "web_sqlite.h"
#include "web_sqlite/result_encoder.h"

namespace wsq {

Statement::~Statement() { sqlite3_finalize(stmt_); }

int StepToEnd(sqlite3_stmt* stmt, ResultEncoder* encoder, int64_t* changes, Error* error,
              uint32_t max_rows) {
  sqlite3* db = sqlite3_db_handle(stmt);
  int64_t total_before = sqlite3_total_changes64(db);
  int rc = sqlite3_step(stmt);
  // The first step may re-prepare the statement after a schema change, so its columns are only
  // final now.
  if (encoder != nullptr && (rc == SQLITE_ROW || rc == SQLITE_DONE) &&
      sqlite3_column_count(stmt) > 0) {
    encoder->Begin(stmt, /*with_names=*/true);
  }
  for (uint32_t rows = 0; rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
    if (encoder != nullptr) encoder->AddRow(stmt);
    if (++rows == max_rows) return SQLITE_ROW;
  }
  if (rc != SQLITE_DONE) {
    error->FromDb(db, rc);
    sqlite3_reset(stmt);
    return error->code;
  }
  // sqlite3_changes64() keeps its old value after statements that change no rows (DDL, SELECT),
  // so it is only counted when this statement changed something.
  if (sqlite3_total_changes64(db) != total_before) *changes += sqlite3_changes64(db);
  return SQLITE_DONE;
}

int Statement::Bind(const uint8_t* params, size_t size, Error* error) {
  ParamDecoder decoder;
  if (!decoder.Decode(params, size, error)) return error->code;
  sqlite3_reset(stmt_);
  return decoder.Bind(stmt_, /*copy=*/true, error);
}

int Statement::BindOne(const uint8_t* params, size_t size, int index, Error* error) {
  ParamDecoder decoder;
  if (!decoder.Decode(params, size, error)) return error->code;
  sqlite3_reset(stmt_);
  return decoder.BindOne(stmt_, index, error);
}

int Statement::Step(uint32_t max_rows, ByteWriter* out, Error* error, bool with_names) {
  if (max_rows == 0) max_rows = 1;
  sqlite3* db = sqlite3_db_handle(stmt_);
  int64_t total_before = sqlite3_total_changes64(db);
  ResultEncoder encoder(out);
  int rc = sqlite3_step(stmt_);
  encoder.Begin(stmt_, with_names);  // after the step: see StepToEnd
  while (rc == SQLITE_ROW) {
    encoder.AddRow(stmt_);
    if (encoder.rows() == max_rows) break;
    rc = sqlite3_step(stmt_);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    error->FromDb(db, rc);
    sqlite3_reset(stmt_);
    return error->code;
  }
  if (!out->ok()) {
    sqlite3_reset(stmt_);
    return error->Set(SQLITE_NOMEM, "out of memory while encoding the result");
  }
  int64_t changes = 0;
  if (rc == SQLITE_DONE && sqlite3_total_changes64(db) != total_before) {
    changes = sqlite3_changes64(db);
  }
  encoder.Finish(changes, sqlite3_last_insert_rowid(db), rc == SQLITE_ROW ? WSQ_RESULT_MORE : 0);
  return rc;
}

int Statement::Run(const uint8_t* params, size_t size, uint32_t flags, ByteWriter* out,
                   Error* error) {
  sqlite3* db = sqlite3_db_handle(stmt_);
  sqlite3_reset(stmt_);
  bool bound = false;
  if (size > 0) {
    ParamDecoder decoder;
    if (!decoder.Decode(params, size, error)) return error->code;
    // The buffer outlives this call's use of the values, so nothing needs copying; the bindings
    // are cleared before returning so they never outlive the buffer.
    if (decoder.Bind(stmt_, /*copy=*/false, error) != SQLITE_OK) {
      sqlite3_clear_bindings(stmt_);
      return error->code;
    }
    bound = true;
  }
  bool rows = (flags & WSQ_RUN_ROWS) != 0;
  ResultEncoder encoder(out);
  encoder.Begin(nullptr, rows);
  int64_t changes = 0;
  uint32_t max_rows = (flags & WSQ_RUN_FIRST_ROW) ? 1 : UINT32_MAX;
  int rc = StepToEnd(stmt_, rows ? &encoder : nullptr, &changes, error, max_rows);
  sqlite3_reset(stmt_);
  if (bound) sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return rc;
  if (!out->ok()) return error->Set(SQLITE_NOMEM, "out of memory while encoding the result");
  encoder.Finish(changes, sqlite3_last_insert_rowid(db), 0);
  return SQLITE_OK;
}

void Statement::Reset() { sqlite3_reset(stmt_); }

void Statement::ClearBindings() { sqlite3_clear_bindings(stmt_); }

void Statement::Columns(ByteWriter* out) const { EncodeColumns(stmt_, out); }

}  // namespace wsq
