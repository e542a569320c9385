// A least-recently-used cache of prepared statements keyed by their SQL text. A statement taken
// from the cache is out of it until it is put back, so one statement never serves two users.
#ifndef WEB_SQLITE_STATEMENT_CACHE_H_
#define WEB_SQLITE_STATEMENT_CACHE_H_

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "web_sqlite/sqlite.h"

namespace wsq {

class StatementCache {
 public:
  explicit StatementCache(size_t capacity = 64) : capacity_(capacity) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() { Clear(); }

  /// Removes and returns the statement for sql, or null.
  sqlite3_stmt* Take(std::string_view sql);
  /// Gives a reset statement back; the least recently used one is finalized when full.
  void Put(std::string_view sql, sqlite3_stmt* stmt);
  /// Finalizes every cached statement.
  void Clear();

  size_t size() const { return map_.size(); }
  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

 private:
  using Entry = std::pair<std::string, sqlite3_stmt*>;
  size_t capacity_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> map_;
  size_t hits_ = 0;
  size_t misses_ = 0;
};

}  // namespace wsq

#endif  // WEB_SQLITE_STATEMENT_CACHE_H_
