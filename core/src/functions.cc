#include "web_sqlite/functions.h"

#include "web_sqlite.h"
#include "web_sqlite/byte_writer.h"
#include "web_sqlite/param_decoder.h"
#include "web_sqlite/result_encoder.h"

#if defined(__wasm__)
extern "C" __attribute__((import_module("env"), import_name("wsq_host_function"))) void
wsq_host_function(uint32_t id, int32_t call, uint32_t group, const uint8_t* args, size_t size,
                  void* ctx);
#endif

namespace wsq {
namespace {

#if defined(__wasm__)
class WasmFunctionHost : public FunctionHost {
 public:
  void Call(uint32_t id, int call, uint32_t group, const uint8_t* args, size_t size,
            sqlite3_context* ctx) override {
    wsq_host_function(id, call, group, args, size, ctx);
  }
};
#endif

FunctionHost* g_host = nullptr;

uint32_t FunctionId(sqlite3_context* ctx) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(sqlite3_user_data(ctx)));
}

/// Encodes the arguments as one row. Calls do not nest (the host may not run SQL from inside
/// a function), so one buffer serves every call.
ByteWriter& Arguments(int argc, sqlite3_value** argv) {
  static ByteWriter* out = new ByteWriter();
  ResultEncoder encoder(out);
  encoder.BeginUnnamed(static_cast<uint32_t>(argc));
  for (int i = 0; i < argc; ++i) encoder.AddValue(argv[i]);
  encoder.EndRow();
  encoder.Finish(0, 0, 0);
  return *out;
}

void Dispatch(sqlite3_context* ctx, int call, uint32_t group, int argc, sqlite3_value** argv) {
  FunctionHost* host = DefaultFunctionHost();
  if (host == nullptr) {
    sqlite3_result_error(ctx, "no host for user-defined functions", -1);
    return;
  }
  ByteWriter& args = Arguments(argc, argv);
  host->Call(FunctionId(ctx), call, group, args.data(), args.size(), ctx);
}

/// The group key of an aggregate call: allocated on the first step, 0 when there was none.
uint32_t Group(sqlite3_context* ctx, bool create) {
  static uint32_t next = 0;
  auto* slot = static_cast<uint32_t*>(sqlite3_aggregate_context(ctx, create ? 4 : 0));
  if (slot == nullptr) return 0;
  if (*slot == 0) {
    if (++next == 0) ++next;
    *slot = next;
  }
  return *slot;
}

void Scalar(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Dispatch(ctx, WSQ_CALL_SCALAR, 0, argc, argv);
}

void Step(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  uint32_t group = Group(ctx, true);
  if (group == 0) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  Dispatch(ctx, WSQ_CALL_STEP, group, argc, argv);
}

void Final(sqlite3_context* ctx) { Dispatch(ctx, WSQ_CALL_FINAL, Group(ctx, false), 0, nullptr); }

}  // namespace

FunctionHost* DefaultFunctionHost() {
#if defined(__wasm__)
  static WasmFunctionHost host;
  return &host;
#else
  return g_host;
#endif
}

void SetFunctionHost(FunctionHost* host) { g_host = host; }

int CreateFunction(sqlite3* db, const std::string& name, int n_args, int flags, uint32_t id,
                   Error* error) {
  int text_flags = SQLITE_UTF8;
  if (flags & WSQ_FUNCTION_DETERMINISTIC) text_flags |= SQLITE_DETERMINISTIC;
  if (flags & WSQ_FUNCTION_INNOCUOUS) text_flags |= SQLITE_INNOCUOUS;
  if (flags & WSQ_FUNCTION_DIRECT_ONLY) text_flags |= SQLITE_DIRECTONLY;
  void* app = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
  bool aggregate = (flags & WSQ_FUNCTION_AGGREGATE) != 0;
  int rc = sqlite3_create_function_v2(db, name.c_str(), n_args, text_flags, app,
                                      aggregate ? nullptr : Scalar, aggregate ? Step : nullptr,
                                      aggregate ? Final : nullptr, nullptr);
  return rc == SQLITE_OK ? SQLITE_OK : error->FromDb(db, rc);
}

int SetFunctionResult(sqlite3_context* ctx, const uint8_t* params, size_t size) {
  ParamDecoder decoder;
  Error error;
  if (!decoder.Decode(params, size, &error) || decoder.size() != 1) {
    sqlite3_result_error(ctx, "malformed function result", -1);
    return SQLITE_MISUSE;
  }
  const ParamValue& v = decoder.values().front();
  switch (v.tag) {
    case WSQ_TAG_INT32:
    case WSQ_TAG_INT64:
      sqlite3_result_int64(ctx, v.i);
      break;
    case WSQ_TAG_FLOAT:
      sqlite3_result_double(ctx, v.d);
      break;
    case WSQ_TAG_TEXT:
      sqlite3_result_text(ctx, reinterpret_cast<const char*>(v.bytes), static_cast<int>(v.length),
                          SQLITE_TRANSIENT);
      break;
    case WSQ_TAG_BLOB:
      sqlite3_result_blob(ctx, v.length ? v.bytes : reinterpret_cast<const uint8_t*>(""),
                          static_cast<int>(v.length), SQLITE_TRANSIENT);
      break;
    default:
      sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

void SetFunctionError(sqlite3_context* ctx, std::string_view message) {
  sqlite3_result_error(ctx, message.data(), static_cast<int>(message.size()));
}

}  // namespace wsq
