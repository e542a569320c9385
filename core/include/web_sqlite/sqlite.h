// The one way the core includes SQLite: with the project's compile options applied first.
#ifndef WEB_SQLITE_SQLITE_H_
#define WEB_SQLITE_SQLITE_H_

// clang-format off
#include "sqlite_config.h"  // first: sqlite3.h declares some interfaces only when they are on
#include <sqlite3.h>
// clang-format on

#endif  // WEB_SQLITE_SQLITE_H_
