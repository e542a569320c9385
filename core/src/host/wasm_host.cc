// The host-file seam in wasm: each method is one imported function of the "env" module,
// implemented by the JavaScript runtime (js/src/runtime/hosts/). Offsets and sizes cross the
// boundary as doubles (exact up to 2^53 bytes), which avoids BigInt conversions on every call.
#include <cstring>

#include "web_sqlite/host.h"
#include "web_sqlite/sqlite.h"

#define WSQ_IMPORT(name) __attribute__((import_module("env"), import_name(name)))

extern "C" {
WSQ_IMPORT("wsq_host_open")
int32_t wsq_host_open(const char* path, uint32_t path_len, int32_t flags, int32_t* handle);
WSQ_IMPORT("wsq_host_close") int32_t wsq_host_close(int32_t handle);
WSQ_IMPORT("wsq_host_read")
int32_t wsq_host_read(int32_t handle, uint8_t* buffer, uint32_t n, double offset, uint32_t* read);
WSQ_IMPORT("wsq_host_write")
int32_t wsq_host_write(int32_t handle, const uint8_t* buffer, uint32_t n, double offset);
WSQ_IMPORT("wsq_host_truncate") int32_t wsq_host_truncate(int32_t handle, double size);
WSQ_IMPORT("wsq_host_sync") int32_t wsq_host_sync(int32_t handle, int32_t flags);
WSQ_IMPORT("wsq_host_size") int32_t wsq_host_size(int32_t handle, double* size);
WSQ_IMPORT("wsq_host_delete")
int32_t wsq_host_delete(const char* path, uint32_t path_len, int32_t sync_directory);
WSQ_IMPORT("wsq_host_access")
int32_t wsq_host_access(const char* path, uint32_t path_len, int32_t flags, int32_t* result);
WSQ_IMPORT("wsq_host_random") void wsq_host_random(uint8_t* buffer, uint32_t n);
WSQ_IMPORT("wsq_host_now_ms") double wsq_host_now_ms(void);
WSQ_IMPORT("wsq_host_clock_ms") double wsq_host_clock_ms(void);
WSQ_IMPORT("wsq_host_log") void wsq_host_log(int32_t code, const char* message, uint32_t len);
WSQ_IMPORT("wsq_host_committing") void wsq_host_committing(void);
WSQ_IMPORT("wsq_host_kv_read")
int32_t wsq_host_kv_read(const char* cls, uint32_t cls_len, const char* key, uint32_t key_len,
                         char* buf, int32_t n);
WSQ_IMPORT("wsq_host_kv_write")
int32_t wsq_host_kv_write(const char* cls, uint32_t cls_len, const char* key, uint32_t key_len,
                          const char* data, uint32_t data_len);
WSQ_IMPORT("wsq_host_kv_delete")
int32_t wsq_host_kv_delete(const char* cls, uint32_t cls_len, const char* key, uint32_t key_len);
}

namespace wsq {
namespace {

class WasmHost : public Host {
 public:
  int Open(std::string_view path, int flags, int32_t* handle) override {
    return wsq_host_open(path.data(), static_cast<uint32_t>(path.size()), flags, handle);
  }
  int Close(int32_t handle) override { return wsq_host_close(handle); }
  int Read(int32_t handle, uint8_t* buffer, size_t n, int64_t offset, size_t* read) override {
    uint32_t got = 0;
    int rc =
        wsq_host_read(handle, buffer, static_cast<uint32_t>(n), static_cast<double>(offset), &got);
    *read = got;
    return rc;
  }
  int Write(int32_t handle, const uint8_t* buffer, size_t n, int64_t offset) override {
    return wsq_host_write(handle, buffer, static_cast<uint32_t>(n), static_cast<double>(offset));
  }
  int Truncate(int32_t handle, int64_t size) override {
    return wsq_host_truncate(handle, static_cast<double>(size));
  }
  int Sync(int32_t handle, int flags) override { return wsq_host_sync(handle, flags); }
  int Size(int32_t handle, int64_t* size) override {
    double d = 0;
    int rc = wsq_host_size(handle, &d);
    *size = static_cast<int64_t>(d);
    return rc;
  }
  int Delete(std::string_view path, bool sync_directory) override {
    return wsq_host_delete(path.data(), static_cast<uint32_t>(path.size()), sync_directory);
  }
  int Access(std::string_view path, int flags, bool* result) override {
    int32_t r = 0;
    int rc = wsq_host_access(path.data(), static_cast<uint32_t>(path.size()), flags, &r);
    *result = r != 0;
    return rc;
  }
  void Randomness(uint8_t* buffer, size_t n) override {
    wsq_host_random(buffer, static_cast<uint32_t>(n));
  }
  double NowMs() override { return wsq_host_now_ms(); }
  double MonotonicMs() override { return wsq_host_clock_ms(); }
  void Log(int code, const char* message) override {
    wsq_host_log(code, message, static_cast<uint32_t>(std::strlen(message)));
  }
  void Committing() override { wsq_host_committing(); }
  int KvRead(const char* cls, const char* key, char* buf, int n) override {
    return wsq_host_kv_read(cls, Len(cls), key, Len(key), buf, n);
  }
  int KvWrite(const char* cls, const char* key, const char* data) override {
    return wsq_host_kv_write(cls, Len(cls), key, Len(key), data, Len(data));
  }
  int KvDelete(const char* cls, const char* key) override {
    return wsq_host_kv_delete(cls, Len(cls), key, Len(key));
  }

 private:
  static uint32_t Len(const char* s) { return static_cast<uint32_t>(std::strlen(s)); }
};

}  // namespace

Host* DefaultHost() {
  static WasmHost host;
  return &host;
}

}  // namespace wsq
