// Every value type makes the whole trip: parameter buffer -> bind -> SQLite -> result buffer.
#include "web_sqlite/result_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"

namespace wsq {
namespace {

using test::Params;
using test::Value;

class ResultEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Error error;
    ASSERT_EQ(Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", &conn_,
                               &error),
              SQLITE_OK)
        << error.message;
  }

  // Runs "SELECT ?" with one value and returns the decoded cell and its typeof().
  std::pair<Value, std::string> RoundTrip(const Value& v) {
    Params p = Params::Positional();
    p.Add(v).Add(v);
    Error error;
    ByteWriter out;
    const auto& bytes = p.bytes();
    EXPECT_EQ(conn_->Exec("SELECT ?1, typeof(?2)", bytes.data(), bytes.size(), WSQ_RUN_ROWS, &out,
                          &error),
              SQLITE_OK)
        << error.message;
    test::Result r = test::DecodeResult(out.data(), out.size());
    EXPECT_EQ(r.rows.size(), 1u);
    if (r.rows.size() != 1) return {};
    return {r.rows[0][0], r.rows[0][1].bytes};
  }

  // Stores the value in a table column without a declared type and reads it back.
  Value ThroughTable(const Value& v) {
    Error error;
    ByteWriter out;
    EXPECT_EQ(
        conn_->Exec("CREATE TABLE IF NOT EXISTS t(x); DELETE FROM t", nullptr, 0, 0, &out, &error),
        SQLITE_OK);
    Params p = Params::Positional();
    p.Add(v);
    const auto& bytes = p.bytes();
    EXPECT_EQ(conn_->Exec("INSERT INTO t VALUES (?)", bytes.data(), bytes.size(), 0, &out, &error),
              SQLITE_OK)
        << error.message;
    EXPECT_EQ(conn_->Exec("SELECT x FROM t", nullptr, 0, WSQ_RUN_ROWS, &out, &error), SQLITE_OK);
    test::Result r = test::DecodeResult(out.data(), out.size());
    EXPECT_EQ(r.rows.size(), 1u);
    return r.rows.empty() ? Value() : r.rows[0][0];
  }

  std::unique_ptr<Connection> conn_;
};

TEST_F(ResultEncoderTest, IntegersKeepAll64Bits) {
  const int64_t cases[] = {0,
                           1,
                           -1,
                           INT32_MAX,
                           INT32_MIN,
                           int64_t{INT32_MAX} + 1,
                           int64_t{INT32_MIN} - 1,
                           (int64_t{1} << 53) + 1,
                           -(int64_t{1} << 53) - 1,
                           INT64_MAX,
                           -INT64_MAX,
                           INT64_MIN};
  for (int64_t v : cases) {
    auto [cell, type] = RoundTrip(Value::Int(v));
    EXPECT_EQ(cell.kind, Value::kInt) << v;
    EXPECT_EQ(cell.i, v);
    EXPECT_EQ(type, "integer");
    // Small values travel in 4 bytes, the rest in 8.
    bool fits32 = v >= INT32_MIN && v <= INT32_MAX;
    EXPECT_EQ(cell.tag, fits32 ? WSQ_TAG_INT32 : WSQ_TAG_INT64) << v;
    EXPECT_EQ(ThroughTable(Value::Int(v)).i, v);
  }
}

TEST_F(ResultEncoderTest, DoublesRoundTripBitForBit) {
  const double cases[] = {0.5,
                          -1.25,
                          1e300,
                          -1e-300,
                          std::numeric_limits<double>::denorm_min(),
                          std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity(),
                          3.141592653589793};
  for (double v : cases) {
    auto [cell, type] = RoundTrip(Value::Float(v));
    EXPECT_EQ(cell.kind, Value::kFloat) << v;
    EXPECT_EQ(cell.d, v);
    EXPECT_EQ(type, "real");
  }
}

TEST_F(ResultEncoderTest, NegativeZeroStaysNegativeZeroAsAValue) {
  auto [cell, type] = RoundTrip(Value::Float(-0.0));
  EXPECT_EQ(cell.kind, Value::kFloat);
  EXPECT_TRUE(std::signbit(cell.d));
  EXPECT_EQ(type, "real");
}

TEST_F(ResultEncoderTest, NaNBecomesNullAsSQLiteDefines) {
  // SQLite has no NaN: binding one stores NULL.
  auto [cell, type] = RoundTrip(Value::Float(std::nan("")));
  EXPECT_EQ(cell.kind, Value::kNull);
  EXPECT_EQ(type, "null");
  EXPECT_EQ(ThroughTable(Value::Float(std::nan(""))).kind, Value::kNull);
}

TEST_F(ResultEncoderTest, EmptyTextIsNotNull) {
  auto [cell, type] = RoundTrip(Value::Text(""));
  EXPECT_EQ(cell.kind, Value::kText);
  EXPECT_EQ(cell.bytes, "");
  EXPECT_EQ(type, "text");
  auto [null_cell, null_type] = RoundTrip(Value::Null());
  EXPECT_EQ(null_cell.kind, Value::kNull);
  EXPECT_EQ(null_type, "null");
}

TEST_F(ResultEncoderTest, EmptyBlobStaysABlob) {
  auto [cell, type] = RoundTrip(Value::Blob(""));
  EXPECT_EQ(cell.kind, Value::kBlob);
  EXPECT_EQ(cell.bytes.size(), 0u);
  EXPECT_EQ(type, "blob");
  EXPECT_EQ(ThroughTable(Value::Blob("")).kind, Value::kBlob);
}

TEST_F(ResultEncoderTest, TextWithNulBytesAndNonBmpCharacters) {
  std::string text("a\0b\0", 4);
  text += "\xF0\x9F\x98\x80 \xE2\x82\xAC \xC3\xA9";  // U+1F600, euro sign, e-acute
  auto [cell, type] = RoundTrip(Value::Text(text));
  EXPECT_EQ(cell.kind, Value::kText);
  EXPECT_EQ(cell.bytes, text);
  EXPECT_EQ(ThroughTable(Value::Text(text)).bytes, text);
}

TEST_F(ResultEncoderTest, BlobBytesAreExact) {
  std::string blob;
  for (int i = 0; i < 256; ++i) blob.push_back(static_cast<char>(i));
  auto [cell, type] = RoundTrip(Value::Blob(blob));
  EXPECT_EQ(cell.kind, Value::kBlob);
  EXPECT_EQ(cell.bytes, blob);
  EXPECT_EQ(ThroughTable(Value::Blob(blob)).bytes, blob);
}

TEST_F(ResultEncoderTest, HeaderCarriesNamesCountsAndChanges) {
  Error error;
  ByteWriter out;
  ASSERT_EQ(conn_->Exec("CREATE TABLE u(a INTEGER, b TEXT); INSERT INTO u VALUES (1,'x'),(2,'y');"
                        "SELECT a AS first, b AS second FROM u ORDER BY a",
                        nullptr, 0, WSQ_RUN_ROWS, &out, &error),
            SQLITE_OK)
      << error.message;
  test::Result r = test::DecodeResult(out.data(), out.size());
  EXPECT_EQ(r.columns, 2u);
  EXPECT_EQ(r.names, (std::vector<std::string>{"first", "second"}));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1][0].i, 2);
  EXPECT_EQ(r.rows[1][1].bytes, "y");
  EXPECT_EQ(r.changes, 2);
  EXPECT_EQ(r.last_insert_rowid, 2);
  EXPECT_TRUE(r.flags & WSQ_RESULT_NAMES);
}

TEST_F(ResultEncoderTest, ResultWithoutRowsHasNoColumns) {
  Error error;
  ByteWriter out;
  ASSERT_EQ(conn_->Exec("CREATE TABLE v(a)", nullptr, 0, WSQ_RUN_ROWS, &out, &error), SQLITE_OK);
  test::Result r = test::DecodeResult(out.data(), out.size());
  EXPECT_EQ(r.columns, 0u);
  EXPECT_TRUE(r.rows.empty());
  EXPECT_EQ(r.changes, 0);
}

}  // namespace
}  // namespace wsq
