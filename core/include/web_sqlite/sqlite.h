// The one way the core includes SQLite: with the project's compile options applied first.
#ifndef WEB_SQLITE_SQLITE_H_
#define WEB_SQLITE_SQLITE_H_

#include <sqlite3.h>

#include "sqlite_config.h"

#endif  // WEB_SQLITE_SQLITE_H_
