#include <new>

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

int FileShm::Map(int region, int size, bool extend, void volatile** out) {
  auto& regions = state_->regions;
  if (static_cast<size_t>(region) >= regions.size()) {
    if (!extend) {
      *out = nullptr;
      return SQLITE_OK;
    }
    while (regions.size() <= static_cast<size_t>(region)) {
      uint8_t* bytes = new (std::nothrow) uint8_t[static_cast<size_t>(size)]();
      if (bytes == nullptr) return SQLITE_NOMEM;
      regions.emplace_back(bytes);
    }
  }
  *out = regions[static_cast<size_t>(region)].get();
  return SQLITE_OK;
}

int FileShm::Lock(int offset, int n, int flags) {
  const uint32_t mask = ((1u << n) - 1) << offset;
  if ((flags & SQLITE_SHM_UNLOCK) != 0) {
    for (int i = offset; i < offset + n; ++i) {
      if ((shared_ >> i) & 1) --state_->shared[i];
      if ((exclusive_ >> i) & 1) state_->exclusive[i] = nullptr;
    }
    shared_ &= ~mask;
    exclusive_ &= ~mask;
    return SQLITE_OK;
  }
  if ((flags & SQLITE_SHM_SHARED) != 0) {
    for (int i = offset; i < offset + n; ++i) {
      const void* holder = state_->exclusive[i];
      if (holder != nullptr && holder != this) return SQLITE_BUSY;
    }
    for (int i = offset; i < offset + n; ++i) {
      if (((shared_ >> i) & 1) == 0) ++state_->shared[i];
    }
    shared_ |= mask;
    return SQLITE_OK;
  }
  for (int i = offset; i < offset + n; ++i) {
    const void* holder = state_->exclusive[i];
    int others = state_->shared[i] - static_cast<int>((shared_ >> i) & 1);
    if ((holder != nullptr && holder != this) || others > 0) return SQLITE_BUSY;
  }
  for (int i = offset; i < offset + n; ++i) state_->exclusive[i] = this;
  exclusive_ |= mask;
  return SQLITE_OK;
}

void FileShm::Detach() {
  if (state_ == nullptr) return;
  Lock(0, SQLITE_SHM_NLOCK, SQLITE_SHM_UNLOCK);
  state_ = nullptr;
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
