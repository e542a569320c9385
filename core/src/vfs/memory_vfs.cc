// Memory VFS.
//
// Assumes: one thread (SQLITE_THREADSAFE=0); files are small enough for wasm memory (2 GiB).
// Guarantees: a named file lives until xDelete, shared by every connection that opens the name,
// with SQLite's locking protocol enforced between them (FileLock); an anonymous file (temp file)
// belongs to its opener and disappears on close. Nothing is durable: sync is a no-op.
#include <algorithm>
#include <new>

#include "vfs_common.h"
#include "web_sqlite/vfs.h"

namespace wsq {
namespace {

struct MemFile {
  sqlite3_file base;
  std::shared_ptr<MemoryVfs::FileData> data;
  FileLock lock;
  bool delete_on_close;
  std::string name;
  MemoryVfs* owner;
};

MemFile* Cast(sqlite3_file* f) { return reinterpret_cast<MemFile*>(f); }

int Close(sqlite3_file* f) {
  MemFile* file = Cast(f);
  file->lock.Unlock(SQLITE_LOCK_NONE);
  if (file->delete_on_close && !file->name.empty()) {
    auto& files = file->owner->files();
    auto it = files.find(file->name);
    if (it != files.end() && it->second == file->data) files.erase(it);
  }
  file->~MemFile();
  return SQLITE_OK;
}

int Read(sqlite3_file* f, void* out, int n, sqlite3_int64 offset) {
  const std::vector<uint8_t>& bytes = Cast(f)->data->bytes;
  size_t size = bytes.size();
  size_t start = static_cast<size_t>(offset);
  size_t avail = start < size ? std::min(size - start, static_cast<size_t>(n)) : 0;
  if (avail > 0) std::memcpy(out, bytes.data() + start, avail);
  if (avail < static_cast<size_t>(n)) {
    std::memset(static_cast<uint8_t*>(out) + avail, 0, static_cast<size_t>(n) - avail);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int Write(sqlite3_file* f, const void* in, int n, sqlite3_int64 offset) {
  std::vector<uint8_t>& bytes = Cast(f)->data->bytes;
  size_t end = static_cast<size_t>(offset) + static_cast<size_t>(n);
  if (end > bytes.size()) {
    // Grow geometrically so appending page by page stays linear.
    if (end > bytes.capacity()) bytes.reserve(std::max(end, bytes.capacity() * 2));
    bytes.resize(end);
  }
  std::memcpy(bytes.data() + offset, in, static_cast<size_t>(n));
  return SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  std::vector<uint8_t>& bytes = Cast(f)->data->bytes;
  if (static_cast<size_t>(size) < bytes.size()) bytes.resize(static_cast<size_t>(size));
  return SQLITE_OK;
}

int Sync(sqlite3_file*, int) { return SQLITE_OK; }

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  *size = static_cast<sqlite3_int64>(Cast(f)->data->bytes.size());
  return SQLITE_OK;
}

int Lock(sqlite3_file* f, int level) { return Cast(f)->lock.Lock(level); }
int Unlock(sqlite3_file* f, int level) { return Cast(f)->lock.Unlock(level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  *out = Cast(f)->lock.CheckReserved();
  return SQLITE_OK;
}
int FileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int SectorSize(sqlite3_file*) { return 4096; }
int DeviceCharacteristics(sqlite3_file*) {
  return SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
         SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

const sqlite3_io_methods kMethods = {
    .iVersion = 1,
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
    // Version 1: no shared memory (WAL needs PRAGMA locking_mode=EXCLUSIVE), no memory mapping.
    .xShmMap = nullptr,
    .xShmLock = nullptr,
    .xShmBarrier = nullptr,
    .xShmUnmap = nullptr,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

MemoryVfs* Owner(sqlite3_vfs* vfs) { return static_cast<MemoryVfs*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  MemoryVfs* owner = Owner(vfs);
  auto& files = owner->files();
  std::shared_ptr<MemoryVfs::FileData> data;
  std::string key = name != nullptr ? name : "";
  if (!key.empty()) {
    auto it = files.find(key);
    if (it != files.end()) {
      if ((flags & SQLITE_OPEN_EXCLUSIVE) && (flags & SQLITE_OPEN_CREATE)) return SQLITE_CANTOPEN;
      data = it->second;
    } else if (!(flags & SQLITE_OPEN_CREATE)) {
      return SQLITE_CANTOPEN;
    }
  }
  if (data == nullptr) {
    data = std::make_shared<MemoryVfs::FileData>();
    if (!key.empty()) files.emplace(key, data);
  }
  LockState* state = &data->lock;
  auto* file = new (f) MemFile{{&kMethods},     std::move(data),
                               FileLock(state), (flags & SQLITE_OPEN_DELETEONCLOSE) != 0,
                               std::move(key),  owner};
  (void)file;
  if (out_flags != nullptr) *out_flags = flags;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* vfs, const char* name, int) {
  return Owner(vfs)->files().erase(name) ? SQLITE_OK : SQLITE_IOERR_DELETE_NOENT;
}

int Access(sqlite3_vfs* vfs, const char* name, int, int* out) {
  *out = Owner(vfs)->files().count(name) != 0;
  return SQLITE_OK;
}

}  // namespace

MemoryVfs::MemoryVfs(std::string name) : name_(std::move(name)) {
  vfs_common::InitVfs(&vfs_, name_.c_str(), sizeof(MemFile), this);
  vfs_.xOpen = Open;
  vfs_.xDelete = Delete;
  vfs_.xAccess = Access;
}

MemoryVfs::~MemoryVfs() { sqlite3_vfs_unregister(&vfs_); }

}  // namespace wsq
