#include "web_sqlite/vfs.h"

namespace wsq {

int FileLock::Lock(int level) {
  if (level_ >= level) return SQLITE_OK;
  if (level == SQLITE_LOCK_SHARED) {
    if (state_->pending != nullptr || state_->exclusive != nullptr) return SQLITE_BUSY;
    ++state_->shared;
    level_ = SQLITE_LOCK_SHARED;
    return SQLITE_OK;
  }
  if (level == SQLITE_LOCK_RESERVED) {
    if (state_->reserved != nullptr && state_->reserved != this) return SQLITE_BUSY;
    state_->reserved = this;
    level_ = SQLITE_LOCK_RESERVED;
    return SQLITE_OK;
  }
  // EXCLUSIVE: take PENDING first so no new reader gets in, then wait for readers to leave.
  if (state_->pending != nullptr && state_->pending != this) return SQLITE_BUSY;
  if (state_->exclusive != nullptr && state_->exclusive != this) return SQLITE_BUSY;
  state_->pending = this;
  if (state_->shared > 1) {
    level_ = SQLITE_LOCK_PENDING;
    return SQLITE_BUSY;
  }
  state_->exclusive = this;
  level_ = SQLITE_LOCK_EXCLUSIVE;
  return SQLITE_OK;
}

int FileLock::Unlock(int level) {
  if (level_ <= level) return SQLITE_OK;
  if (state_->reserved == this) state_->reserved = nullptr;
  if (state_->pending == this) state_->pending = nullptr;
  if (state_->exclusive == this) state_->exclusive = nullptr;
  if (level == SQLITE_LOCK_NONE && level_ >= SQLITE_LOCK_SHARED) --state_->shared;
  level_ = level;
  return SQLITE_OK;
}

bool FileLock::CheckReserved() const {
  return state_->reserved != nullptr || state_->pending != nullptr || state_->exclusive != nullptr;
}

MemoryVfs* DefaultMemoryVfs() {
  static MemoryVfs* vfs = new MemoryVfs(kMemoryVfsName);
  return vfs;
}

HostVfs* DefaultHostVfs() {
  static HostVfs* vfs = new HostVfs(kHostVfsName, DefaultHost(), DefaultMemoryVfs());
  return vfs;
}

int RegisterVfses(bool host_is_default) {
  int rc = DefaultMemoryVfs()->Register(false);
  if (rc == SQLITE_OK) rc = DefaultHostVfs()->Register(host_is_default);
  return rc;
}

}  // namespace wsq
