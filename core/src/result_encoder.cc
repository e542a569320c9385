#include "web_sqlite/result_encoder.h"

#include <cstring>

#include "web_sqlite.h"

namespace wsq {
namespace {

void PutCString(ByteWriter* out, const char* s) {
  out->PutSized(s, s != nullptr ? std::strlen(s) : 0);
}

}  // namespace

void ResultEncoder::Begin(sqlite3_stmt* stmt, bool with_names) {
  out_->Clear();
  columns_ = stmt != nullptr ? static_cast<uint32_t>(sqlite3_column_count(stmt)) : 0;
  rows_ = 0;
  with_names_ = with_names;
  out_->PutU32(WSQ_MAGIC_RESULT);
  out_->PutU32(0);  // flags, patched by Finish
  out_->PutU32(columns_);
  out_->PutU32(0);  // row count, patched by Finish
  out_->PutI64(0);  // changes
  out_->PutI64(0);  // last insert rowid
  if (with_names) {
    for (uint32_t i = 0; i < columns_; ++i) {
      PutCString(out_, sqlite3_column_name(stmt, static_cast<int>(i)));
    }
  }
}

void ResultEncoder::Begin(std::initializer_list<std::string_view> names) {
  BeginUnnamed(static_cast<uint32_t>(names.size()));
  with_names_ = true;
  for (std::string_view name : names) out_->PutSized(name.data(), name.size());
}

void ResultEncoder::BeginUnnamed(uint32_t columns) {
  out_->Clear();
  columns_ = columns;
  rows_ = 0;
  with_names_ = false;
  out_->PutU32(WSQ_MAGIC_RESULT);
  out_->PutU32(0);
  out_->PutU32(columns_);
  out_->PutU32(0);
  out_->PutI64(0);
  out_->PutI64(0);
}

void ResultEncoder::AddInt(int64_t v) {
  if (v >= INT32_MIN && v <= INT32_MAX) {
    out_->PutU8(WSQ_TAG_INT32);
    out_->PutI32(static_cast<int32_t>(v));
  } else {
    out_->PutU8(WSQ_TAG_INT64);
    out_->PutI64(v);
  }
}

void ResultEncoder::AddFloat(double v) {
  out_->PutU8(WSQ_TAG_FLOAT);
  out_->PutF64(v);
}

void ResultEncoder::AddText(std::string_view v) {
  out_->PutU8(WSQ_TAG_TEXT);
  out_->PutSized(v.data(), v.size());
}

void ResultEncoder::AddRow(sqlite3_stmt* stmt) {
  for (uint32_t c = 0; c < columns_; ++c) AddValue(sqlite3_column_value(stmt, static_cast<int>(c)));
  ++rows_;
}

void ResultEncoder::AddValue(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      AddInt(sqlite3_value_int64(v));
      break;
    case SQLITE_FLOAT:
      AddFloat(sqlite3_value_double(v));
      break;
    case SQLITE_TEXT: {
      const unsigned char* text = sqlite3_value_text(v);
      out_->PutU8(WSQ_TAG_TEXT);
      out_->PutSized(text, static_cast<size_t>(sqlite3_value_bytes(v)));
      break;
    }
    case SQLITE_BLOB: {
      const void* blob = sqlite3_value_blob(v);
      out_->PutU8(WSQ_TAG_BLOB);
      out_->PutSized(blob, static_cast<size_t>(sqlite3_value_bytes(v)));
      break;
    }
    default:
      out_->PutU8(WSQ_TAG_NULL);
  }
}

void ResultEncoder::Finish(int64_t changes, int64_t last_insert_rowid, uint32_t flags) {
  out_->PatchU32(4, flags | (with_names_ ? WSQ_RESULT_NAMES : 0));
  out_->PatchU32(12, rows_);
  out_->PatchI64(16, changes);
  out_->PatchI64(24, last_insert_rowid);
}

void EncodeColumns(sqlite3_stmt* stmt, ByteWriter* out) {
  out->Clear();
  int n = sqlite3_column_count(stmt);
  out->PutU32(WSQ_MAGIC_COLUMNS);
  out->PutU32(static_cast<uint32_t>(n));
  for (int i = 0; i < n; ++i) {
    PutCString(out, sqlite3_column_name(stmt, i));
    PutCString(out, sqlite3_column_decltype(stmt, i));
  }
}

}  // namespace wsq
