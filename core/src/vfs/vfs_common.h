// VFS methods both VFSes share: randomness, time, sleep, and path handling.
#ifndef WEB_SQLITE_SRC_VFS_VFS_COMMON_H_
#define WEB_SQLITE_SRC_VFS_VFS_COMMON_H_

#include <cstring>

#include "web_sqlite/host.h"
#include "web_sqlite/sqlite.h"

namespace wsq::vfs_common {

/// Files are named by the host exactly as given: the name is already the full path.
inline int FullPathname(sqlite3_vfs*, const char* name, int n_out, char* out) {
  size_t len = std::strlen(name);
  if (len + 1 > static_cast<size_t>(n_out)) return SQLITE_CANTOPEN_FULLPATH;
  std::memcpy(out, name, len + 1);
  return SQLITE_OK;
}

inline int Randomness(sqlite3_vfs*, int n, char* out) {
  DefaultHost()->Randomness(reinterpret_cast<uint8_t*>(out), static_cast<size_t>(n));
  return n;
}

/// There is nothing to wait for: locks are held by connections of this same thread, which cannot
/// release them while this one sleeps. The busy handler therefore gives up at once.
inline int Sleep(sqlite3_vfs*, int microseconds) { return microseconds; }

/// Julian day number in milliseconds.
inline int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  constexpr double kUnixEpochJulianMs = 210866760000000.0;
  *out = static_cast<sqlite3_int64>(DefaultHost()->NowMs() + kUnixEpochJulianMs);
  return SQLITE_OK;
}

inline int CurrentTime(sqlite3_vfs* vfs, double* out) {
  sqlite3_int64 ms = 0;
  CurrentTimeInt64(vfs, &ms);
  *out = static_cast<double>(ms) / 86400000.0;
  return SQLITE_OK;
}

inline int GetLastError(sqlite3_vfs*, int, char*) { return 0; }

/// Fills the shared part of a sqlite3_vfs.
inline void InitVfs(sqlite3_vfs* vfs, const char* name, int file_size, void* app_data) {
  std::memset(vfs, 0, sizeof(*vfs));
  vfs->iVersion = 2;
  vfs->szOsFile = file_size;
  vfs->mxPathname = 1024;
  vfs->zName = name;
  vfs->pAppData = app_data;
  vfs->xFullPathname = FullPathname;
  vfs->xRandomness = Randomness;
  vfs->xSleep = Sleep;
  vfs->xCurrentTime = CurrentTime;
  vfs->xGetLastError = GetLastError;
  vfs->xCurrentTimeInt64 = CurrentTimeInt64;
}

}  // namespace wsq::vfs_common

#endif  // WEB_SQLITE_SRC_VFS_VFS_COMMON_H_
