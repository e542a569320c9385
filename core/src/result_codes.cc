#include "web_sqlite/result_codes.h"

namespace wsq {

const char* ResultCodeName(int code) {
#define WSQ_CASE(name) \
  case name:           \
    return #name;
  switch (code) { WSQ_RESULT_CODES(WSQ_CASE) }
#undef WSQ_CASE
  if (code > 0xff) return ResultCodeName(code & 0xff);
  return "SQLITE_UNKNOWN";
}

}  // namespace wsq
