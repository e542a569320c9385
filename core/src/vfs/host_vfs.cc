// Host-file VFS.
//
// Assumes: the host (Host) names files by the path it is given, reads and writes at
// offsets, and makes data durable when Sync returns; one thread (SQLITE_THREADSAFE=0).
// Guarantees: every SQLite file operation becomes one host call with the host's own error code
// (SQLITE_IOERR_*, SQLITE_FULL) passed through; short reads are zero-filled and reported as
// SQLITE_IOERR_SHORT_READ, as SQLite requires; locks are enforced between the connections of this
// instance (FileLock). Locks are not seen by other processes or tabs: the host is responsible
// for keeping a file to one instance (OPFS access handles are exclusive). For the same reason the
// WAL index ("shared memory") is heap memory shared by the instance's connections (FileShm).
// Temporary files (no name, delete-on-close, temp databases, sub-journals) live in memory.
#include <algorithm>
#include <new>

#include "vfs_common.h"
#include "web_sqlite/vfs.h"

namespace wsq {
namespace {

constexpr int kTempFileFlags = SQLITE_OPEN_DELETEONCLOSE | SQLITE_OPEN_TEMP_DB |
                               SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_TRANSIENT_DB |
                               SQLITE_OPEN_SUBJOURNAL;

struct HostFile {
  sqlite3_file base;
  HostVfs* owner;
  int32_t handle;
  std::string path;
  FileLock lock;
  IoStats* stats;
  FileShm shm;
};

HostFile* Cast(sqlite3_file* f) { return reinterpret_cast<HostFile*>(f); }
Host* HostOf(sqlite3_file* f) { return Cast(f)->owner->host(); }

/// Adds the time of one host call to a counter of the file's database.
class Timed {
 public:
  Timed(sqlite3_file* f, double IoStats::*ms)
      : file_(Cast(f)), ms_(ms), start_(file_->owner->host()->MonotonicMs()) {}
  ~Timed() { file_->stats->*ms_ += file_->owner->host()->MonotonicMs() - start_; }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  HostFile* file_;
  double IoStats::*ms_;
  double start_;
};

int ShmUnmap(sqlite3_file* f, int) {
  HostFile* file = Cast(f);
  if (!file->shm.attached()) return SQLITE_OK;
  file->shm.Detach();
  file->owner->ReleaseShm(file->path);
  return SQLITE_OK;
}

int Close(sqlite3_file* f) {
  HostFile* file = Cast(f);
  ShmUnmap(f, 0);
  file->lock.Unlock(SQLITE_LOCK_NONE);
  int rc = file->owner->host()->Close(file->handle);
  file->owner->ReleaseLock(file->path);
  file->~HostFile();
  return rc;
}

int Read(sqlite3_file* f, void* out, int n, sqlite3_int64 offset) {
  Timed timed(f, &IoStats::read_ms);
  IoStats* stats = Cast(f)->stats;
  ++stats->reads;
  stats->read_bytes += static_cast<uint64_t>(n);
  size_t got = 0;
  int rc = HostOf(f)->Read(Cast(f)->handle, static_cast<uint8_t*>(out), static_cast<size_t>(n),
                           offset, &got);
  if (rc != SQLITE_OK) return rc;
  if (got < static_cast<size_t>(n)) {
    std::memset(static_cast<uint8_t*>(out) + got, 0, static_cast<size_t>(n) - got);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int Write(sqlite3_file* f, const void* in, int n, sqlite3_int64 offset) {
  Timed timed(f, &IoStats::write_ms);
  IoStats* stats = Cast(f)->stats;
  ++stats->writes;
  stats->write_bytes += static_cast<uint64_t>(n);
  return HostOf(f)->Write(Cast(f)->handle, static_cast<const uint8_t*>(in), static_cast<size_t>(n),
                          offset);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  Timed timed(f, &IoStats::truncate_ms);
  ++Cast(f)->stats->truncates;
  return HostOf(f)->Truncate(Cast(f)->handle, size);
}

int Sync(sqlite3_file* f, int flags) {
  Timed timed(f, &IoStats::sync_ms);
  ++Cast(f)->stats->syncs;
  return HostOf(f)->Sync(Cast(f)->handle, flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  int64_t s = 0;
  int rc = HostOf(f)->Size(Cast(f)->handle, &s);
  *size = s;
  return rc;
}

int Lock(sqlite3_file* f, int level) { return Cast(f)->lock.Lock(level); }
int Unlock(sqlite3_file* f, int level) { return Cast(f)->lock.Unlock(level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  *out = Cast(f)->lock.CheckReserved();
  return SQLITE_OK;
}
int FileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }

int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  HostFile* file = Cast(f);
  if (!file->shm.attached()) file->shm.Attach(file->owner->AcquireShm(file->path));
  return file->shm.Map(region, size, extend != 0, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Cast(f)->shm.Lock(offset, n, flags);
}
void ShmBarrier(sqlite3_file*) {}  // one thread: nothing to order
int SectorSize(sqlite3_file*) { return 4096; }
int DeviceCharacteristics(sqlite3_file*) { return SQLITE_IOCAP_POWERSAFE_OVERWRITE; }

const sqlite3_io_methods kMethods = {
    .iVersion = 2,
    .xClose = Close,
    .xRead = Read,
    .xWrite = Write,
    .xTruncate = Truncate,
    .xSync = Sync,
    .xFileSize = FileSize,
    .xLock = Lock,
    .xUnlock = Unlock,
    .xCheckReservedLock = CheckReservedLock,
    .xFileControl = FileControl,
    .xSectorSize = SectorSize,
    .xDeviceCharacteristics = DeviceCharacteristics,
    .xShmMap = ShmMap,
    .xShmLock = ShmLock,
    .xShmBarrier = ShmBarrier,
    .xShmUnmap = ShmUnmap,
    // No memory mapping.
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

HostVfs* Owner(sqlite3_vfs* vfs) { return static_cast<HostVfs*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  HostVfs* owner = Owner(vfs);
  if (name == nullptr || (flags & kTempFileFlags) != 0) {
    sqlite3_vfs* memory = owner->temp_files()->vfs();
    return memory->xOpen(memory, nullptr, f, flags, out_flags);
  }
  int32_t handle = -1;
  int rc = owner->host()->Open(name, flags, &handle);
  if (rc != SQLITE_OK) return rc;
  std::string path(name);
  LockState* state = owner->AcquireLock(path);
  IoStats* stats = owner->StatsFor(path);
  new (f) HostFile{{&kMethods}, owner, handle, std::move(path), FileLock(state), stats, {}};
  if (out_flags != nullptr) *out_flags = flags;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Owner(vfs)->host()->Delete(name, sync_dir != 0);
}

int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  bool result = false;
  int rc = Owner(vfs)->host()->Access(name, flags, &result);
  *out = result;
  return rc;
}

}  // namespace

HostVfs::HostVfs(std::string name, Host* host, MemoryVfs* temp_files)
    : name_(std::move(name)), host_(host), temp_files_(temp_files) {
  int size = std::max(static_cast<int>(sizeof(HostFile)), temp_files->vfs()->szOsFile);
  vfs_common::InitVfs(&vfs_, name_.c_str(), size, this);
  vfs_.xOpen = Open;
  vfs_.xDelete = Delete;
  vfs_.xAccess = Access;
}

HostVfs::~HostVfs() { sqlite3_vfs_unregister(&vfs_); }

LockState* HostVfs::AcquireLock(const std::string& path) {
  auto& entry = locks_[path];
  ++entry.second;
  return &entry.first;
}

IoStats* HostVfs::StatsFor(const std::string& path) {
  std::string_view database(path);
  for (std::string_view suffix : {"-journal", "-wal"}) {
    if (database.size() > suffix.size() &&
        database.substr(database.size() - suffix.size()) == suffix) {
      database.remove_suffix(suffix.size());
      break;
    }
  }
  return &stats_[std::string(database)];
}

const IoStats* HostVfs::FindStats(const std::string& database_path) const {
  auto it = stats_.find(database_path);
  return it == stats_.end() ? nullptr : &it->second;
}

ShmState* HostVfs::AcquireShm(const std::string& path) {
  auto& entry = shm_[path];
  ++entry.second;
  return &entry.first;
}

void HostVfs::ReleaseShm(const std::string& path) {
  auto it = shm_.find(path);
  if (it != shm_.end() && --it->second.second == 0) shm_.erase(it);
}

void HostVfs::ReleaseLock(const std::string& path) {
  auto it = locks_.find(path);
  if (it != locks_.end() && --it->second.second == 0) locks_.erase(it);
}

}  // namespace wsq
