// User-defined SQL functions implemented by the host: SQLite calls a trampoline, which hands the
// arguments to the host as one encoded row and takes the result back as a parameter buffer.
#ifndef WEB_SQLITE_FUNCTIONS_H_
#define WEB_SQLITE_FUNCTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "web_sqlite/error.h"
#include "web_sqlite/sqlite.h"

namespace wsq {

/// Where calls of host functions go: the wasm import natively replaced by a test double.
class FunctionHost {
 public:
  virtual ~FunctionHost() = default;
  /// call is a wsq_function_call; group identifies an aggregate group (0 for scalars). The host
  /// answers through ctx (SetFunctionResult / SetFunctionError) before returning.
  virtual void Call(uint32_t id, int call, uint32_t group, const uint8_t* args, size_t size,
                    sqlite3_context* ctx) = 0;
};

/// The host of this build: the wasm import, or (natively) what SetFunctionHost installed.
FunctionHost* DefaultFunctionHost();
/// Natively: installs the host that receives calls (tests). Not available in wasm.
void SetFunctionHost(FunctionHost* host);

/// Registers name with n_args arguments (-1: any number); flags are wsq_function_flags.
int CreateFunction(sqlite3* db, const std::string& name, int n_args, int flags, uint32_t id,
                   Error* error);
/// Sets the call's result from a parameter buffer holding exactly one value.
int SetFunctionResult(sqlite3_context* ctx, const uint8_t* params, size_t size);
/// Makes the call fail with message.
void SetFunctionError(sqlite3_context* ctx, std::string_view message);

}  // namespace wsq

#endif  // WEB_SQLITE_FUNCTIONS_H_
