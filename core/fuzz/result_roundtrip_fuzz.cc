// libFuzzer target: values built from arbitrary bytes go into SQLite through the parameter
// format and come back through the result encoder; every value must come back exactly.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"

namespace {

using wsq::test::Params;
using wsq::test::Value;

/// Reads values from the fuzz input: a tag byte, then its payload.
std::vector<Value> Values(const uint8_t* data, size_t size) {
  std::vector<Value> out;
  size_t pos = 0;
  auto take = [&](size_t n) {
    std::string s(reinterpret_cast<const char*>(data + pos), std::min(n, size - pos));
    pos += s.size();
    return s;
  };
  while (pos < size && out.size() < 64) {
    uint8_t tag = data[pos++];
    std::string raw = take(tag % 5 == 3 || tag % 5 == 4 ? (tag >> 3) : 8);
    raw.resize(std::max<size_t>(raw.size(), 8), '\0');
    switch (tag % 5) {
      case 0:
        out.push_back(Value::Null());
        break;
      case 1: {
        int64_t i;
        std::memcpy(&i, raw.data(), 8);
        out.push_back(Value::Int(i));
        break;
      }
      case 2: {
        double d;
        std::memcpy(&d, raw.data(), 8);
        if (d != d) d = 0;  // NaN is stored as NULL by SQLite: not a round trip
        out.push_back(Value::Float(d));
        break;
      }
      case 3:
        raw.resize(tag >> 3);
        out.push_back(Value::Text(raw));  // any bytes: SQLite keeps text as given
        break;
      default:
        raw.resize(tag >> 3);
        out.push_back(Value::Blob(raw));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<wsq::Connection> conn = [] {
    wsq_init();
    std::unique_ptr<wsq::Connection> c;
    wsq::Error e;
    wsq::Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", &c, &e);
    return c;
  }();
  std::vector<Value> values = Values(data, size);
  if (values.empty()) return 0;
  std::string sql = "SELECT ?";
  for (size_t i = 1; i < values.size(); ++i) sql += ", ?";
  Params params = Params::Positional();
  for (const Value& v : values) params.Add(v);
  const auto& bytes = params.bytes();
  wsq::ByteWriter out;
  wsq::Error error;
  if (conn->Exec(sql, bytes.data(), bytes.size(), WSQ_RUN_ROWS, &out, &error) != SQLITE_OK) {
    __builtin_trap();  // every value kind is valid
  }
  wsq::test::Result r = wsq::test::DecodeResult(out.data(), out.size());
  if (r.rows.size() != 1 || r.rows[0].size() != values.size()) __builtin_trap();
  for (size_t i = 0; i < values.size(); ++i) {
    const Value& a = values[i];
    const Value& b = r.rows[0][i];
    bool same = a.kind == b.kind && a.i == b.i && a.bytes == b.bytes &&
                std::memcmp(&a.d, &b.d, sizeof a.d) == 0;
    if (!same) __builtin_trap();
  }
  return 0;
}
