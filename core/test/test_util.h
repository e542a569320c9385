// Helpers for the core tests: build parameter buffers, decode result and error buffers.
#ifndef WEB_SQLITE_TEST_TEST_UTIL_H_
#define WEB_SQLITE_TEST_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "web_sqlite.h"
#include "web_sqlite/cipher.h"

namespace wsq::test {

/// The key of the suites that run over the encryption build with every database keyed (the
/// crash simulation, the fault injection): 32 raw bytes, since a passphrase would add its key
/// derivation to each of their many opens.
inline constexpr uint8_t kRawKey[32] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3,
                                        2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5};

/// The key of every database of a suite: kRawKey where the suite is built keyed
/// (WSQ_TEST_KEYED, over the encryption build), none otherwise.
inline Key SuiteKey() {
#if WSQ_TEST_KEYED
  return Key{WSQ_KEY_RAW, kRawKey, sizeof kRawKey};
#else
  return Key{};
#endif
}

struct Value {
  enum Kind { kNull, kInt, kFloat, kText, kBlob } kind = kNull;
  int64_t i = 0;
  double d = 0;
  std::string bytes;  // text or blob
  uint8_t tag = 0;    // the wire tag it was decoded from

  static Value Null() { return {}; }
  static Value Int(int64_t v) {
    Value x;
    x.kind = kInt;
    x.i = v;
    return x;
  }
  static Value Float(double v) {
    Value x;
    x.kind = kFloat;
    x.d = v;
    return x;
  }
  static Value Text(std::string v) {
    Value x;
    x.kind = kText;
    x.bytes = std::move(v);
    return x;
  }
  static Value Blob(std::string v) {
    Value x;
    x.kind = kBlob;
    x.bytes = std::move(v);
    return x;
  }
};

struct Result {
  uint32_t flags = 0;
  uint32_t columns = 0;
  std::vector<std::string> names;
  std::vector<std::vector<Value>> rows;
  int64_t changes = 0;
  int64_t last_insert_rowid = 0;
};

struct DecodedError {
  int code = 0;
  int offset = -1;
  uint32_t flags = 0;
  std::string name;
  std::string message;
};

struct Columns {
  std::vector<std::string> names;
  std::vector<std::string> decltypes;
};

/// Decodes a result buffer; fails the current test on malformed input.
Result DecodeResult(const uint8_t* data, size_t size);
DecodedError DecodeError(const uint8_t* data, size_t size);
Columns DecodeColumns(const uint8_t* data, size_t size);
/// Decodes a list of names, each followed by a NUL (wsq_conn_changes, wsq_tables_read).
std::vector<std::string> DecodeNames(const uint8_t* data, size_t size);

/// Builds a parameter buffer the way the TypeScript codec does.
class Params {
 public:
  static Params Positional() { return Params(false); }
  static Params Named() { return Params(true); }
  Params& Add(const Value& v, std::string_view name = {});
  Params& Null(std::string_view name = {}) { return Add(Value::Null(), name); }
  Params& Int(int64_t v, std::string_view name = {}) { return Add(Value::Int(v), name); }
  Params& Float(double v, std::string_view name = {}) { return Add(Value::Float(v), name); }
  Params& Text(std::string v, std::string_view name = {}) { return Add(Value::Text(v), name); }
  Params& Blob(std::string v, std::string_view name = {}) { return Add(Value::Blob(v), name); }
  /// The encoded buffer.
  const std::vector<uint8_t>& bytes();

 private:
  explicit Params(bool named) : named_(named) {}
  bool named_;
  uint32_t count_ = 0;
  std::vector<uint8_t> body_;
  std::vector<uint8_t> bytes_;
};

/// A fresh, empty temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace wsq::test

#endif  // WEB_SQLITE_TEST_TEST_UTIL_H_
