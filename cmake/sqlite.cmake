# The SQLite amalgamation, fetched and verified by scripts/setup.sh; never committed.
set(WSQ_SQLITE_VERSION 3.54.1)
set(WSQ_SQLITE_DIR "${PROJECT_SOURCE_DIR}/build/deps/sqlite-${WSQ_SQLITE_VERSION}"
    CACHE PATH "Directory holding sqlite3.c and sqlite3.h")
if(NOT EXISTS "${WSQ_SQLITE_DIR}/sqlite3.c" OR NOT EXISTS "${WSQ_SQLITE_DIR}/sqlite3.h")
  message(FATAL_ERROR "SQLite ${WSQ_SQLITE_VERSION} not found in ${WSQ_SQLITE_DIR}: run scripts/setup.sh")
endif()

# One translation unit around the amalgamation (core/src/sqlite/amalgamation.c), which reaches
# the key-value VFS's private record methods.
add_library(sqlite3 STATIC "${PROJECT_SOURCE_DIR}/core/src/sqlite/amalgamation.c")
target_include_directories(sqlite3 SYSTEM PUBLIC "${WSQ_SQLITE_DIR}" "${PROJECT_SOURCE_DIR}/core")
target_include_directories(sqlite3 PRIVATE "${PROJECT_SOURCE_DIR}/core/include")
# Every SQLITE_* option lives in core/sqlite_config.h; consumers include it through
# web_sqlite/sqlite.h so the amalgamation and the core agree on them.
target_compile_definitions(sqlite3 PRIVATE SQLITE_CUSTOM_INCLUDE=sqlite_config.h)
# The amalgamation is always optimized, even in Debug trees: it is the slow part to build and run.
target_compile_options(sqlite3 PRIVATE ${WSQ_SQLITE_OPT} -w)
