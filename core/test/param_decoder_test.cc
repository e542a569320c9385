// Parameter buffers: malformed input is rejected, and binding by position and by name follows
// the rules of docs/FORMAT.md.
#include "web_sqlite/param_decoder.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"

namespace wsq {
namespace {

using test::Params;

TEST(ParamDecoderTest, EmptyBufferMeansNoParameters) {
  ParamDecoder d;
  Error error;
  EXPECT_TRUE(d.Decode(nullptr, 0, &error));
  EXPECT_TRUE(d.empty());
}

TEST(ParamDecoderTest, DecodesEveryTag) {
  auto p = Params::Positional();
  p.Null().Int(7).Int(int64_t{1} << 40).Float(2.5).Text("hi").Blob(std::string("\0\1", 2));
  ParamDecoder d;
  Error error;
  const auto& bytes = p.bytes();
  ASSERT_TRUE(d.Decode(bytes.data(), bytes.size(), &error)) << error.message;
  ASSERT_EQ(d.size(), 6u);
  EXPECT_EQ(d.values()[0].tag, WSQ_TAG_NULL);
  EXPECT_EQ(d.values()[1].i, 7);
  EXPECT_EQ(d.values()[2].i, int64_t{1} << 40);
  EXPECT_EQ(d.values()[3].d, 2.5);
  EXPECT_EQ(
      std::string_view(reinterpret_cast<const char*>(d.values()[4].bytes), d.values()[4].length),
      "hi");
  EXPECT_EQ(d.values()[5].length, 2u);
}

TEST(ParamDecoderTest, RejectsEveryTruncation) {
  auto p = Params::Named();
  p.Int(1, "a").Text("hello", "b").Float(1.5, "c");
  std::vector<uint8_t> bytes = p.bytes();
  for (size_t n = 1; n < bytes.size(); ++n) {
    ParamDecoder d;
    Error error;
    EXPECT_FALSE(d.Decode(bytes.data(), n, &error)) << "prefix of " << n << " bytes";
    EXPECT_EQ(error.code, SQLITE_MISUSE);
    EXPECT_TRUE(d.empty());
  }
}

TEST(ParamDecoderTest, RejectsBadTagsKindsAndTrailingBytes) {
  Error error;
  ParamDecoder d;
  std::vector<uint8_t> bad_tag = {WSQ_PARAMS_POSITIONAL, 1, 0, 0, 0, 9};
  EXPECT_FALSE(d.Decode(bad_tag.data(), bad_tag.size(), &error));
  EXPECT_NE(error.message.find("malformed"), std::string::npos);
  std::vector<uint8_t> bad_kind = {7, 0, 0, 0, 0};
  EXPECT_FALSE(d.Decode(bad_kind.data(), bad_kind.size(), &error));
  std::vector<uint8_t> trailing = {WSQ_PARAMS_POSITIONAL, 1, 0, 0, 0, WSQ_TAG_NULL, 0};
  EXPECT_FALSE(d.Decode(trailing.data(), trailing.size(), &error));
  // A length that points past the end must not be trusted.
  std::vector<uint8_t> long_text = {
      WSQ_PARAMS_POSITIONAL, 1, 0, 0, 0, WSQ_TAG_TEXT, 0xff, 0xff, 0xff, 0x7f, 'a'};
  EXPECT_FALSE(d.Decode(long_text.data(), long_text.size(), &error));
  // A count far larger than the buffer is rejected before anything is reserved.
  std::vector<uint8_t> huge_count = {WSQ_PARAMS_POSITIONAL, 0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(d.Decode(huge_count.data(), huge_count.size(), &error));
}

class BindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Error error;
    ASSERT_EQ(Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", &conn_,
                               &error),
              SQLITE_OK);
  }
  // Runs sql with params; returns the rc and leaves the rows / error behind.
  int Run(std::string_view sql, Params& p) {
    const auto& bytes = p.bytes();
    error_.Clear();
    int rc = conn_->Exec(sql, bytes.data(), bytes.size(), WSQ_RUN_ROWS, &out_, &error_);
    if (rc == SQLITE_OK) result_ = test::DecodeResult(out_.data(), out_.size());
    return rc;
  }
  std::unique_ptr<Connection> conn_;
  ByteWriter out_;
  Error error_;
  test::Result result_;
};

TEST_F(BindingTest, NamedWithEveryPrefix) {
  auto p = Params::Named();
  p.Int(1, "a").Int(2, "b").Int(3, "c");
  ASSERT_EQ(Run("SELECT :a, @b, $c", p), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 1);
  EXPECT_EQ(result_.rows[0][1].i, 2);
  EXPECT_EQ(result_.rows[0][2].i, 3);
}

TEST_F(BindingTest, NamedWithExplicitPrefix) {
  auto p = Params::Named();
  p.Text("x", ":a").Text("y", "$b");
  ASSERT_EQ(Run("SELECT :a, $b", p), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].bytes, "x");
  EXPECT_EQ(result_.rows[0][1].bytes, "y");
}

TEST_F(BindingTest, RepeatedNameBindsEveryUse) {
  auto p = Params::Named();
  p.Int(5, "n");
  ASSERT_EQ(Run("SELECT :n + :n", p), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 10);
}

TEST_F(BindingTest, PositionalAndNumbered) {
  auto p = Params::Positional();
  p.Int(10).Int(20);
  ASSERT_EQ(Run("SELECT ?2, ?1, ?2", p), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 20);
  EXPECT_EQ(result_.rows[0][1].i, 10);
  auto q = Params::Positional();
  q.Text("a").Text("b");
  ASSERT_EQ(Run("SELECT ?, ?", q), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][1].bytes, "b");
}

TEST_F(BindingTest, NamedParametersBindByPositionToo) {
  auto p = Params::Positional();
  p.Int(1).Int(2);
  ASSERT_EQ(Run("SELECT :a, :b", p), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][1].i, 2);
}

TEST_F(BindingTest, WrongCountIsARangeError) {
  auto few = Params::Positional();
  few.Int(1);
  EXPECT_EQ(Run("SELECT ?, ?", few), SQLITE_RANGE);
  EXPECT_NE(error_.message.find("2 parameter(s) but 1 value(s)"), std::string::npos);
  auto many = Params::Positional();
  many.Int(1).Int(2);
  EXPECT_EQ(Run("SELECT ?", many), SQLITE_RANGE);
}

TEST_F(BindingTest, UnknownAndMissingNames) {
  auto unknown = Params::Named();
  unknown.Int(1, "a").Int(2, "zzz");
  EXPECT_EQ(Run("SELECT :a", unknown), SQLITE_RANGE);
  EXPECT_NE(error_.message.find("no parameter named 'zzz'"), std::string::npos);
  auto missing = Params::Named();
  missing.Int(1, "a");
  EXPECT_EQ(Run("SELECT :a, :b", missing), SQLITE_RANGE);
  EXPECT_NE(error_.message.find("missing value for parameter :b"), std::string::npos);
  auto positional = Params::Named();
  positional.Int(1, "a");
  EXPECT_EQ(Run("SELECT :a, ?", positional), SQLITE_RANGE);
  EXPECT_NE(error_.message.find("pass the values as an array"), std::string::npos);
}

TEST_F(BindingTest, SameParameterTwiceIsAnError) {
  auto p = Params::Named();
  p.Int(1, "a").Int(2, ":a");
  EXPECT_EQ(Run("SELECT :a", p), SQLITE_RANGE);
  EXPECT_NE(error_.message.find("more than one value"), std::string::npos);
}

TEST_F(BindingTest, ValuesForSqlWithoutParameters) {
  auto p = Params::Positional();
  p.Int(1);
  EXPECT_EQ(Run("SELECT 1", p), SQLITE_RANGE);
  EXPECT_NE(error_.message.find("no parameters"), std::string::npos);
}

}  // namespace
}  // namespace wsq
