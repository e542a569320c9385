// Host functions through the trampoline: arguments arrive as one encoded row, results come back
// as a parameter buffer, errors become SQLite errors, aggregates keep one group per GROUP BY key.
#include "web_sqlite/functions.h"

#include <gtest/gtest.h>

#include <map>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"

namespace wsq {
namespace {

using test::Params;

// A host with two functions: 1 = plus(a, b) (or an error for text), 2 = a sum aggregate.
class FakeHost : public FunctionHost {
 public:
  void Call(uint32_t id, int call, uint32_t group, const uint8_t* args, size_t size,
            sqlite3_context* ctx) override {
    test::Result row = test::DecodeResult(args, size);
    ++calls;
    if (id == 1) {
      if (row.rows[0][0].kind == test::Value::kText) {
        SetFunctionError(ctx, "plus() takes numbers");
        return;
      }
      Answer(ctx, Params::Positional().Int(row.rows[0][0].i + row.rows[0][1].i));
    } else if (call == WSQ_CALL_STEP) {
      sums[group] += row.rows[0][0].i;
    } else {
      Answer(ctx, Params::Positional().Int(sums[group]));
      sums.erase(group);
    }
  }
  static void Answer(sqlite3_context* ctx, Params& p) {
    const auto& bytes = p.bytes();
    SetFunctionResult(ctx, bytes.data(), bytes.size());
  }
  int calls = 0;
  std::map<uint32_t, int64_t> sums;
};

class FunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetFunctionHost(&host_);
    ASSERT_EQ(Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", &conn_,
                               &error_),
              SQLITE_OK);
  }
  void TearDown() override { SetFunctionHost(nullptr); }
  int Exec(std::string_view sql) {
    error_.Clear();
    int rc = conn_->Exec(sql, nullptr, 0, WSQ_RUN_ROWS, &out_, &error_);
    if (rc == SQLITE_OK) result_ = test::DecodeResult(out_.data(), out_.size());
    return rc;
  }
  FakeHost host_;
  std::unique_ptr<Connection> conn_;
  ByteWriter out_;
  Error error_;
  test::Result result_;
};

TEST_F(FunctionsTest, ScalarArgumentsResultsAndErrors) {
  ASSERT_EQ(CreateFunction(conn_->db(), "plus", 2, WSQ_FUNCTION_DETERMINISTIC, 1, &error_),
            SQLITE_OK);
  ASSERT_EQ(Exec("SELECT plus(40, 2), plus(9007199254740993, 1)"), SQLITE_OK) << error_.message;
  EXPECT_EQ(result_.rows[0][0].i, 42);
  EXPECT_EQ(result_.rows[0][1].i, 9007199254740994);
  EXPECT_EQ(Exec("SELECT plus('x', 1)"), SQLITE_ERROR);
  EXPECT_EQ(error_.message, "plus() takes numbers");
  EXPECT_EQ(Exec("SELECT plus(1)"), SQLITE_ERROR) << "the arity is enforced";
}

TEST_F(FunctionsTest, AggregateGroupsAndEmptyInput) {
  ASSERT_EQ(CreateFunction(conn_->db(), "total", 1, WSQ_FUNCTION_AGGREGATE, 2, &error_), SQLITE_OK);
  ASSERT_EQ(Exec("CREATE TABLE t(g, v); INSERT INTO t VALUES (1, 10), (1, 5), (2, 7);"
                 "SELECT g, total(v) FROM t GROUP BY g ORDER BY g"),
            SQLITE_OK)
      << error_.message;
  ASSERT_EQ(result_.rows.size(), 2u);
  EXPECT_EQ(result_.rows[0][1].i, 15);
  EXPECT_EQ(result_.rows[1][1].i, 7);
  ASSERT_EQ(Exec("SELECT total(v) FROM t WHERE 0"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 0) << "final on an empty group gets group 0";
  EXPECT_TRUE(host_.sums.empty());
}

}  // namespace
}  // namespace wsq
