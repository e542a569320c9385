#include "test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>

#include "web_sqlite.h"
#include "web_sqlite/byte_reader.h"

namespace wsq::test {
namespace {

std::string ReadString(ByteReader* in) {
  const uint8_t* p = nullptr;
  uint32_t n = 0;
  EXPECT_TRUE(in->ReadSized(&p, &n));
  return std::string(reinterpret_cast<const char*>(p), n);
}

void Append(std::vector<uint8_t>* out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out->insert(out->end(), b, b + n);
}

}  // namespace

Result DecodeResult(const uint8_t* data, size_t size) {
  Result r;
  ByteReader in(data, size);
  uint32_t magic = 0, rows = 0;
  EXPECT_TRUE(in.ReadU32(&magic));
  EXPECT_EQ(magic, static_cast<uint32_t>(WSQ_MAGIC_RESULT));
  EXPECT_TRUE(in.ReadU32(&r.flags));
  EXPECT_TRUE(in.ReadU32(&r.columns));
  EXPECT_TRUE(in.ReadU32(&rows));
  EXPECT_TRUE(in.ReadI64(&r.changes));
  EXPECT_TRUE(in.ReadI64(&r.last_insert_rowid));
  if (r.flags & WSQ_RESULT_NAMES) {
    for (uint32_t c = 0; c < r.columns; ++c) r.names.push_back(ReadString(&in));
  }
  for (uint32_t row = 0; row < rows; ++row) {
    std::vector<Value> cells;
    for (uint32_t c = 0; c < r.columns; ++c) {
      uint8_t tag = 0;
      EXPECT_TRUE(in.ReadU8(&tag));
      Value v;
      v.tag = tag;
      switch (tag) {
        case WSQ_TAG_NULL:
          break;
        case WSQ_TAG_INT32: {
          int32_t i = 0;
          EXPECT_TRUE(in.ReadI32(&i));
          v.kind = Value::kInt;
          v.i = i;
          break;
        }
        case WSQ_TAG_INT64:
          EXPECT_TRUE(in.ReadI64(&v.i));
          v.kind = Value::kInt;
          break;
        case WSQ_TAG_FLOAT:
          EXPECT_TRUE(in.ReadF64(&v.d));
          v.kind = Value::kFloat;
          break;
        case WSQ_TAG_TEXT:
          v.kind = Value::kText;
          v.bytes = ReadString(&in);
          break;
        case WSQ_TAG_BLOB:
          v.kind = Value::kBlob;
          v.bytes = ReadString(&in);
          break;
        default:
          ADD_FAILURE() << "bad tag " << int(tag);
          return r;
      }
      cells.push_back(v);
    }
    r.rows.push_back(std::move(cells));
  }
  EXPECT_EQ(in.remaining(), 0u) << "trailing bytes in result";
  return r;
}

DecodedError DecodeError(const uint8_t* data, size_t size) {
  DecodedError e;
  ByteReader in(data, size);
  uint32_t magic = 0;
  EXPECT_TRUE(in.ReadU32(&magic));
  EXPECT_EQ(magic, static_cast<uint32_t>(WSQ_MAGIC_ERROR));
  int32_t code = 0, offset = 0;
  EXPECT_TRUE(in.ReadI32(&code));
  EXPECT_TRUE(in.ReadI32(&offset));
  e.code = code;
  e.offset = offset;
  EXPECT_TRUE(in.ReadU32(&e.flags));
  e.name = ReadString(&in);
  e.message = ReadString(&in);
  EXPECT_EQ(in.remaining(), 0u);
  return e;
}

std::vector<std::string> DecodeNames(const uint8_t* data, size_t size) {
  std::vector<std::string> names;
  std::string name;
  for (size_t i = 0; i < size; i++) {
    if (data[i] == 0) {
      names.push_back(name);
      name.clear();
    } else {
      name += static_cast<char>(data[i]);
    }
  }
  return names;
}

Columns DecodeColumns(const uint8_t* data, size_t size) {
  Columns c;
  ByteReader in(data, size);
  uint32_t magic = 0, n = 0;
  EXPECT_TRUE(in.ReadU32(&magic));
  EXPECT_EQ(magic, static_cast<uint32_t>(WSQ_MAGIC_COLUMNS));
  EXPECT_TRUE(in.ReadU32(&n));
  for (uint32_t i = 0; i < n; ++i) {
    c.names.push_back(ReadString(&in));
    c.decltypes.push_back(ReadString(&in));
  }
  return c;
}

Params& Params::Add(const Value& v, std::string_view name) {
  if (named_) {
    uint32_t n = static_cast<uint32_t>(name.size());
    Append(&body_, &n, 4);
    Append(&body_, name.data(), name.size());
  }
  uint8_t tag = WSQ_TAG_NULL;
  switch (v.kind) {
    case Value::kNull:
      body_.push_back(WSQ_TAG_NULL);
      break;
    case Value::kInt:
      if (v.i >= INT32_MIN && v.i <= INT32_MAX) {
        int32_t i = static_cast<int32_t>(v.i);
        body_.push_back(WSQ_TAG_INT32);
        Append(&body_, &i, 4);
      } else {
        body_.push_back(WSQ_TAG_INT64);
        Append(&body_, &v.i, 8);
      }
      break;
    case Value::kFloat:
      body_.push_back(WSQ_TAG_FLOAT);
      Append(&body_, &v.d, 8);
      break;
    case Value::kText:
    case Value::kBlob: {
      tag = v.kind == Value::kText ? WSQ_TAG_TEXT : WSQ_TAG_BLOB;
      body_.push_back(tag);
      uint32_t n = static_cast<uint32_t>(v.bytes.size());
      Append(&body_, &n, 4);
      Append(&body_, v.bytes.data(), v.bytes.size());
      break;
    }
  }
  ++count_;
  return *this;
}

const std::vector<uint8_t>& Params::bytes() {
  bytes_.clear();
  bytes_.push_back(named_ ? WSQ_PARAMS_NAMED : WSQ_PARAMS_POSITIONAL);
  Append(&bytes_, &count_, 4);
  bytes_.insert(bytes_.end(), body_.begin(), body_.end());
  return bytes_;
}

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "wsq-test-XXXXXX").string();
  char* made = mkdtemp(templ.data());
  EXPECT_NE(made, nullptr);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace wsq::test
