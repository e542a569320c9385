// The core's VFSes: "wsq-memory" (files in wasm memory) and "wsq-host" (files through the
// host-file seam: node:fs in Node, OPFS in browsers, POSIX in native tests).
#ifndef WEB_SQLITE_VFS_H_
#define WEB_SQLITE_VFS_H_

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "web_sqlite/host.h"
#include "web_sqlite/sqlite.h"

namespace wsq {

inline constexpr char kMemoryVfsName[] = "wsq-memory";
inline constexpr char kHostVfsName[] = "wsq-host";

/// SQLite's lock levels shared by every open file of one name, within this instance.
struct LockState {
  int shared = 0;                  // holders of SHARED or more
  const void* reserved = nullptr;  // holder of RESERVED
  const void* pending = nullptr;   // holder of PENDING
  const void* exclusive = nullptr;
};

/// One open file's view of a LockState: the SQLite locking protocol (NONE < SHARED < RESERVED <
/// PENDING < EXCLUSIVE), answering SQLITE_BUSY where another file holds a conflicting lock.
class FileLock {
 public:
  explicit FileLock(LockState* state) : state_(state) {}
  int Lock(int level);
  int Unlock(int level);
  bool CheckReserved() const;
  int level() const { return level_; }

 private:
  LockState* state_;
  int level_ = SQLITE_LOCK_NONE;
};

/// The WAL index of one database ("shared memory" to SQLite), shared by the connections of this
/// instance. It lives in heap memory: a database has one holder at a time (an OPFS file one
/// worker, a Node file one process), so nothing outside the instance maps it, and SQLite rebuilds
/// it from the WAL when the first connection opens the database again.
struct ShmState {
  std::vector<std::unique_ptr<uint8_t[]>> regions;
  int shared[SQLITE_SHM_NLOCK] = {};             // holders of each lock, shared
  const void* exclusive[SQLITE_SHM_NLOCK] = {};  // the holder of each lock, exclusive
};

/// One open database file's view of a ShmState: its regions and its locks (SQLite's xShmMap,
/// xShmLock), answering SQLITE_BUSY where another connection holds a conflicting lock.
class FileShm {
 public:
  bool attached() const { return state_ != nullptr; }
  void Attach(ShmState* state) { state_ = state; }
  int Map(int region, int size, bool extend, void volatile** out);
  int Lock(int offset, int n, int flags);
  /// Releases this file's locks; the caller then lets go of the state.
  void Detach();

 private:
  ShmState* state_ = nullptr;
  uint32_t shared_ = 0;     // this file's shared locks, one bit each
  uint32_t exclusive_ = 0;  // this file's exclusive locks
};

/// Files kept in memory, by name; anonymous files (temp files) are private to their opener.
/// A named file lives until it is deleted, so later connections of the instance can reopen it.
class MemoryVfs {
 public:
  explicit MemoryVfs(std::string name);
  ~MemoryVfs();
  MemoryVfs(const MemoryVfs&) = delete;
  MemoryVfs& operator=(const MemoryVfs&) = delete;

  sqlite3_vfs* vfs() { return &vfs_; }
  int Register(bool make_default) { return sqlite3_vfs_register(&vfs_, make_default); }

  struct FileData {
    std::vector<uint8_t> bytes;
    LockState lock;
  };
  /// The named files (tests look inside).
  std::map<std::string, std::shared_ptr<FileData>>& files() { return files_; }

 private:
  std::string name_;
  sqlite3_vfs vfs_;
  std::map<std::string, std::shared_ptr<FileData>> files_;
};

/// I/O through the host for one database: its main file, journal and WAL together.
struct IoStats {
  uint64_t reads = 0, read_bytes = 0, writes = 0, write_bytes = 0, syncs = 0, truncates = 0;
  double read_ms = 0, write_ms = 0, sync_ms = 0, truncate_ms = 0;
};

/// Files through a Host. Temporary files (no name, delete-on-close, temp databases and
/// journals) stay in memory, through the companion MemoryVfs.
class HostVfs {
 public:
  HostVfs(std::string name, Host* host, MemoryVfs* temp_files);
  ~HostVfs();
  HostVfs(const HostVfs&) = delete;
  HostVfs& operator=(const HostVfs&) = delete;

  sqlite3_vfs* vfs() { return &vfs_; }
  Host* host() const { return host_; }
  MemoryVfs* temp_files() const { return temp_files_; }
  int Register(bool make_default) { return sqlite3_vfs_register(&vfs_, make_default); }

  /// The lock state of path, shared by its open files; released when the last one closes.
  LockState* AcquireLock(const std::string& path);
  void ReleaseLock(const std::string& path);
  /// The WAL index of the database at path, shared by its connections; freed with the last.
  ShmState* AcquireShm(const std::string& path);
  void ReleaseShm(const std::string& path);
  /// The counters of the database a file belongs to ("app.db-journal" counts for "app.db").
  /// They accumulate for as long as the instance lives; the pointer stays valid.
  IoStats* StatsFor(const std::string& path);
  /// The counters of a database, or null when no file of it was opened.
  const IoStats* FindStats(const std::string& database_path) const;

 private:
  std::string name_;
  Host* host_;
  MemoryVfs* temp_files_;
  sqlite3_vfs vfs_;
  std::unordered_map<std::string, std::pair<LockState, int>> locks_;
  std::unordered_map<std::string, std::pair<ShmState, int>> shm_;
  std::unordered_map<std::string, IoStats> stats_;
};

/// Checks a VFS with a scratch file at path: open, write, read back, sync, size, truncate, short
/// read, locking between two handles, close, access, delete. Writes one row per step (step,
/// ok, ms, detail) to encoder and leaves no file behind. Returns whether every step passed.
bool SelfTest(sqlite3_vfs* vfs, const std::string& path, class ResultEncoder* encoder);

/// The process-wide VFSes of the core, over DefaultHost().
MemoryVfs* DefaultMemoryVfs();
HostVfs* DefaultHostVfs();
/// Registers "wsq-memory" and "wsq-host"; the latter becomes the default when host_is_default.
int RegisterVfses(bool host_is_default);

}  // namespace wsq

#endif  // WEB_SQLITE_VFS_H_
