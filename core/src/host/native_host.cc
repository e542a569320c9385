// POSIX implementation of the host-file seam, for native tests and benchmarks.
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "web_sqlite/host.h"
#include "web_sqlite/sqlite.h"

namespace wsq {
namespace {

class NativeHost : public Host {
 public:
  int Open(std::string_view path, int flags, int32_t* handle) override {
    int oflags = (flags & SQLITE_OPEN_READWRITE) ? O_RDWR : O_RDONLY;
    if (flags & SQLITE_OPEN_CREATE) oflags |= O_CREAT;
    if (flags & SQLITE_OPEN_EXCLUSIVE) oflags |= O_EXCL;
    int fd = ::open(std::string(path).c_str(), oflags | O_CLOEXEC, 0644);
    if (fd < 0) return errno == EISDIR ? SQLITE_CANTOPEN_ISDIR : SQLITE_CANTOPEN;
    *handle = fd;
    return SQLITE_OK;
  }
  int Close(int32_t handle) override {
    return ::close(handle) == 0 ? SQLITE_OK : SQLITE_IOERR_CLOSE;
  }
  int Read(int32_t handle, uint8_t* buffer, size_t n, int64_t offset, size_t* read) override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(handle, buffer + done, n - done, offset + static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return SQLITE_IOERR_READ;
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    *read = done;
    return SQLITE_OK;
  }
  int Write(int32_t handle, const uint8_t* buffer, size_t n, int64_t offset) override {
    size_t done = 0;
    while (done < n) {
      ssize_t put = ::pwrite(handle, buffer + done, n - done, offset + static_cast<off_t>(done));
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) return errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
      done += static_cast<size_t>(put);
    }
    return SQLITE_OK;
  }
  int Truncate(int32_t handle, int64_t size) override {
    return ::ftruncate(handle, size) == 0 ? SQLITE_OK : SQLITE_IOERR_TRUNCATE;
  }
  int Sync(int32_t handle, int flags) override {
    int rc = (flags & SQLITE_SYNC_DATAONLY) ? ::fdatasync(handle) : ::fsync(handle);
    return rc == 0 ? SQLITE_OK : SQLITE_IOERR_FSYNC;
  }
  int Size(int32_t handle, int64_t* size) override {
    struct stat st;
    if (::fstat(handle, &st) != 0) return SQLITE_IOERR_FSTAT;
    *size = st.st_size;
    return SQLITE_OK;
  }
  int Delete(std::string_view path, bool sync_directory) override {
    std::string p(path);
    if (::unlink(p.c_str()) != 0) {
      return errno == ENOENT ? SQLITE_IOERR_DELETE_NOENT : SQLITE_IOERR_DELETE;
    }
    if (sync_directory) {
      size_t slash = p.rfind('/');
      std::string dir = slash == std::string::npos ? "." : p.substr(0, slash ? slash : 1);
      int fd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        int rc = ::fsync(fd);
        ::close(fd);
        if (rc != 0) return SQLITE_IOERR_DIR_FSYNC;
      }
    }
    return SQLITE_OK;
  }
  int Access(std::string_view path, int flags, bool* result) override {
    int mode = flags == SQLITE_ACCESS_EXISTS ? F_OK : (R_OK | W_OK);
    *result = ::access(std::string(path).c_str(), mode) == 0;
    return SQLITE_OK;
  }
  void Randomness(uint8_t* buffer, size_t n) override {
    std::random_device device;
    for (size_t i = 0; i < n; ++i) buffer[i] = static_cast<uint8_t>(device());
  }
  double NowMs() override {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
  }
  double MonotonicMs() override {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
  }
  /// Key-value records in memory, for the kvvfs tests.
  int KvRead(const char* cls, const char* key, char* buf, int n) override {
    auto it = records_.find(std::string(cls) + "-" + key);
    if (it == records_.end()) return -1;
    int size = static_cast<int>(it->second.size());
    if (n <= 0) return size;
    int copied = std::min(size, n - 1);
    std::memcpy(buf, it->second.data(), static_cast<size_t>(copied));
    buf[copied] = 0;
    return copied;
  }
  int KvWrite(const char* cls, const char* key, const char* data) override {
    records_[std::string(cls) + "-" + key] = data;
    return SQLITE_OK;
  }
  int KvDelete(const char* cls, const char* key) override {
    records_.erase(std::string(cls) + "-" + key);
    return SQLITE_OK;
  }
  /// Native builds are tests and benchmarks: SQLite's log is printed only when WSQ_LOG is set.
  void Log(int code, const char* message) override {
    if (std::getenv("WSQ_LOG") != nullptr) std::fprintf(stderr, "sqlite(%d): %s\n", code, message);
  }

 private:
  std::map<std::string, std::string> records_;
};

}  // namespace

Host* DefaultHost() {
  static NativeHost host;
  return &host;
}

}  // namespace wsq
