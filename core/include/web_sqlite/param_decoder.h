// Decodes a parameter buffer (docs/FORMAT.md, "parameters") and binds it to statements.
#ifndef WEB_SQLITE_PARAM_DECODER_H_
#define WEB_SQLITE_PARAM_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "web_sqlite/error.h"
#include "web_sqlite/sqlite.h"

namespace wsq {

/// One decoded value. Text and blob payloads point into the decoded buffer.
struct ParamValue {
  uint8_t tag = 0;
  std::string_view name;  // empty for positional values
  int64_t i = 0;
  double d = 0;
  const uint8_t* bytes = nullptr;
  uint32_t length = 0;
};

class ParamDecoder {
 public:
  /// Parses the buffer. An empty buffer means "no parameters". Returns false, with error set,
  /// when the buffer is malformed; the values then stay empty.
  bool Decode(const uint8_t* data, size_t size, Error* error);

  bool empty() const { return values_.empty(); }
  bool named() const { return named_; }
  size_t size() const { return values_.size(); }
  const std::vector<ParamValue>& values() const { return values_; }

  /// Binds every value to stmt and checks that every parameter of stmt receives exactly one value.
  /// With copy false, text and blobs are bound SQLITE_STATIC: the decoded buffer must then outlive
  /// the statement's use of them (true within one wsq_* call).
  int Bind(sqlite3_stmt* stmt, bool copy, Error* error) const;
  /// Binds the one decoded value, leaving the statement's other parameters as they are: a named
  /// value to its parameter, a positional one to index (1-based). Text and blobs are copied.
  int BindOne(sqlite3_stmt* stmt, int index, Error* error) const;

 private:
  int BindPositional(sqlite3_stmt* stmt, bool copy, Error* error) const;
  int BindNamed(sqlite3_stmt* stmt, bool copy, Error* error) const;

  std::vector<ParamValue> values_;
  bool named_ = false;
};

/// The index of the parameter called name (":x", "@x", "$x", "?1", or "x" with any prefix), or 0.
int ParameterIndex(sqlite3_stmt* stmt, std::string_view name);

/// Binds one value to parameter index i (1-based).
int BindValue(sqlite3_stmt* stmt, int i, const ParamValue& v, bool copy);

}  // namespace wsq

#endif  // WEB_SQLITE_PARAM_DECODER_H_
