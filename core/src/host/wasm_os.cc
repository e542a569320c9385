// SQLite's OS layer in wasm (SQLITE_OS_OTHER): there is no operating system, only the host, so
// initialization registers the core's VFSes, the host-file VFS as the default.
#include "web_sqlite/sqlite.h"
#include "web_sqlite/vfs.h"

extern "C" int sqlite3_os_init(void) { return wsq::RegisterVfses(/*host_is_default=*/true); }

extern "C" int sqlite3_os_end(void) { return SQLITE_OK; }
