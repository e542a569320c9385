#include "web_sqlite/statement_cache.h"

namespace wsq {

sqlite3_stmt* StatementCache::Take(std::string_view sql) {
  auto it = map_.find(sql);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  sqlite3_stmt* stmt = it->second->second;
  lru_.erase(it->second);
  map_.erase(it);
  return stmt;
}

void StatementCache::Put(std::string_view sql, sqlite3_stmt* stmt) {
  if (capacity_ == 0 || map_.count(sql) != 0) {
    sqlite3_finalize(stmt);
    return;
  }
  if (map_.size() >= capacity_) {
    Entry& oldest = lru_.back();
    map_.erase(oldest.first);
    sqlite3_finalize(oldest.second);
    lru_.pop_back();
  }
  lru_.emplace_front(std::string(sql), stmt);
  // The key views the string owned by the list node, which never moves.
  map_.emplace(lru_.front().first, lru_.begin());
}

void StatementCache::Clear() {
  for (Entry& e : lru_) sqlite3_finalize(e.second);
  lru_.clear();
  map_.clear();
}

}  // namespace wsq
