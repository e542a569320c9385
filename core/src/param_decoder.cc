#include "web_sqlite/param_decoder.h"

#include <string>

#include "web_sqlite.h"
#include "web_sqlite/byte_reader.h"

namespace wsq {
namespace {

// A non-null pointer for empty text and blobs: SQLite binds NULL for a null pointer, and an empty
// blob must stay an empty blob.
const char kEmpty[1] = {0};

std::string ParamLabel(sqlite3_stmt* stmt, int i) {
  const char* name = sqlite3_bind_parameter_name(stmt, i);
  return name != nullptr ? std::string(name) : "?" + std::to_string(i);
}

}  // namespace

int ParameterIndex(sqlite3_stmt* stmt, std::string_view name) {
  std::string lookup;
  char first = name.empty() ? '\0' : name.front();
  if (first == ':' || first == '@' || first == '$' || first == '?') {
    lookup.assign(name);
    return sqlite3_bind_parameter_index(stmt, lookup.c_str());
  }
  for (char prefix : {':', '@', '$'}) {
    lookup.assign(1, prefix);
    lookup.append(name);
    int index = sqlite3_bind_parameter_index(stmt, lookup.c_str());
    if (index != 0) return index;
  }
  return 0;
}

int ParamDecoder::BindOne(sqlite3_stmt* stmt, int index, Error* error) const {
  if (values_.size() != 1) return error->Set(SQLITE_MISUSE, "expected exactly one value to bind");
  const ParamValue& v = values_.front();
  int count = sqlite3_bind_parameter_count(stmt);
  if (named_) {
    index = ParameterIndex(stmt, v.name);
    if (index == 0) {
      return error->Set(SQLITE_RANGE,
                        "the statement has no parameter named '" + std::string(v.name) + "'");
    }
  } else if (index < 1 || index > count) {
    return error->Set(SQLITE_RANGE, "parameter index " + std::to_string(index) +
                                        " is out of range: the statement has " +
                                        std::to_string(count) + " parameter(s), numbered from 1");
  }
  int rc = BindValue(stmt, index, v, /*copy=*/true);
  return rc == SQLITE_OK ? SQLITE_OK : error->FromDb(sqlite3_db_handle(stmt), rc);
}

bool ParamDecoder::Decode(const uint8_t* data, size_t size, Error* error) {
  values_.clear();
  named_ = false;
  if (size == 0) return true;
  ByteReader in(data, size);
  uint8_t kind = 0;
  uint32_t count = 0;
  if (!in.ReadU8(&kind) || !in.ReadU32(&count) ||
      (kind != WSQ_PARAMS_POSITIONAL && kind != WSQ_PARAMS_NAMED) || count > in.remaining()) {
    error->Set(SQLITE_MISUSE, "malformed parameter buffer: bad header");
    return false;
  }
  named_ = kind == WSQ_PARAMS_NAMED;
  values_.reserve(count);
  for (uint32_t n = 0; n < count; ++n) {
    ParamValue v;
    if (named_) {
      const uint8_t* name = nullptr;
      uint32_t name_len = 0;
      if (!in.ReadSized(&name, &name_len) || name_len == 0) {
        values_.clear();
        error->Set(SQLITE_MISUSE,
                   "malformed parameter buffer: bad name of value " + std::to_string(n));
        return false;
      }
      v.name = std::string_view(reinterpret_cast<const char*>(name), name_len);
    }
    bool ok = in.ReadU8(&v.tag);
    if (ok) {
      switch (v.tag) {
        case WSQ_TAG_NULL:
          break;
        case WSQ_TAG_INT32: {
          int32_t i32 = 0;
          ok = in.ReadI32(&i32);
          v.i = i32;
          break;
        }
        case WSQ_TAG_INT64:
          ok = in.ReadI64(&v.i);
          break;
        case WSQ_TAG_FLOAT:
          ok = in.ReadF64(&v.d);
          break;
        case WSQ_TAG_TEXT:
        case WSQ_TAG_BLOB:
          ok = in.ReadSized(&v.bytes, &v.length);
          break;
        default:
          ok = false;
      }
    }
    if (!ok) {
      values_.clear();
      error->Set(SQLITE_MISUSE, "malformed parameter buffer: bad value " + std::to_string(n));
      return false;
    }
    values_.push_back(v);
  }
  if (in.remaining() != 0) {
    values_.clear();
    error->Set(SQLITE_MISUSE, "malformed parameter buffer: trailing bytes");
    return false;
  }
  return true;
}

int BindValue(sqlite3_stmt* stmt, int i, const ParamValue& v, bool copy) {
  auto destructor = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
  switch (v.tag) {
    case WSQ_TAG_INT32:
    case WSQ_TAG_INT64:
      return sqlite3_bind_int64(stmt, i, v.i);
    case WSQ_TAG_FLOAT:
      return sqlite3_bind_double(stmt, i, v.d);
    case WSQ_TAG_TEXT:
      return sqlite3_bind_text64(stmt, i,
                                 v.length ? reinterpret_cast<const char*>(v.bytes) : kEmpty,
                                 v.length, destructor, SQLITE_UTF8);
    case WSQ_TAG_BLOB:
      return sqlite3_bind_blob64(stmt, i, v.length ? static_cast<const void*>(v.bytes) : kEmpty,
                                 v.length, destructor);
    default:
      return sqlite3_bind_null(stmt, i);
  }
}

int ParamDecoder::Bind(sqlite3_stmt* stmt, bool copy, Error* error) const {
  return named_ ? BindNamed(stmt, copy, error) : BindPositional(stmt, copy, error);
}

int ParamDecoder::BindPositional(sqlite3_stmt* stmt, bool copy, Error* error) const {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<size_t>(expected) != values_.size()) {
    return error->Set(SQLITE_RANGE, "the statement has " + std::to_string(expected) +
                                        " parameter(s) but " + std::to_string(values_.size()) +
                                        " value(s) were given");
  }
  for (int i = 1; i <= expected; ++i) {
    int rc = BindValue(stmt, i, values_[i - 1], copy);
    if (rc != SQLITE_OK) return error->FromDb(sqlite3_db_handle(stmt), rc);
  }
  return SQLITE_OK;
}

int ParamDecoder::BindNamed(sqlite3_stmt* stmt, bool copy, Error* error) const {
  int count = sqlite3_bind_parameter_count(stmt);
  std::vector<bool> bound(static_cast<size_t>(count) + 1, false);
  for (const ParamValue& v : values_) {
    int index = ParameterIndex(stmt, v.name);
    if (index == 0) {
      return error->Set(SQLITE_RANGE,
                        "the statement has no parameter named '" + std::string(v.name) + "'");
    }
    if (bound[index]) {
      return error->Set(SQLITE_RANGE,
                        "parameter " + ParamLabel(stmt, index) + " was given more than one value");
    }
    int rc = BindValue(stmt, index, v, copy);
    if (rc != SQLITE_OK) return error->FromDb(sqlite3_db_handle(stmt), rc);
    bound[index] = true;
  }
  for (int i = 1; i <= count; ++i) {
    if (!bound[i]) {
      const char* name = sqlite3_bind_parameter_name(stmt, i);
      if (name == nullptr || name[0] == '?') {
        return error->Set(SQLITE_RANGE, "parameter " + ParamLabel(stmt, i) +
                                            " is positional; pass the values as an array");
      }
      return error->Set(SQLITE_RANGE, "missing value for parameter " + std::string(name));
    }
  }
  return SQLITE_OK;
}

}  // namespace wsq
