// The kvvfs record functions (web_sqlite/kv_host.h), routed to the host of this build.
#include "web_sqlite/kv_host.h"

#include "web_sqlite/host.h"

extern "C" {

int wsq_kv_read(const char* cls, const char* key, char* buf, int n) {
  return wsq::DefaultHost()->KvRead(cls, key, buf, n);
}

int wsq_kv_write(const char* cls, const char* key, const char* data) {
  return wsq::DefaultHost()->KvWrite(cls, key, data);
}

int wsq_kv_delete(const char* cls, const char* key) {
  return wsq::DefaultHost()->KvDelete(cls, key);
}

}  // extern "C"
