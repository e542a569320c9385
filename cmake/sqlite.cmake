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
if(WSQ_SANITIZE)
  # The sanitizer tree compiles SQLite instrumented, at -O1 and without debug information: 104 s
  # instead of 146 s of a core here (the core's own code keeps -g, for ASan's reports).
  target_compile_options(sqlite3 PRIVATE -O1 -g0)
endif()

if(WSQ_WASM)
  # Size tiers (docs/PERFORMANCE.md, "Size"): the wasm build is -Os, and the files of the
  # amalgamation that ordinary queries do not run through (FTS5, session, R*Tree, JSON, ALTER,
  # PRAGMA, date functions, virtual-table plumbing, ...) or run through only to compile a
  # statement (the parser, name resolution, the planner, code generation) are compiled as -Oz
  # would: clang's minsize attribute, which scripts/tier-sqlite.mjs puts around them in a copy of
  # sqlite3.c. (A tree configured before a change of this list keeps its cached value:
  # reconfigure it with -UWSQ_SQLITE_SMALL.)
  set(WSQ_SQLITE_SMALL
      alter.c analyze.c attach.c auth.c backup.c carray.c complete.c ctime.c date.c dbpage.c
      dbstat.c fkey.c fts5.c geopoly.c json.c legacy.c loadext.c main.c memdb.c notify.c
      opcodes.c os_kv.c pragma.c rtree.c sqlite3session.c status.c stmt.c table.c treeview.c
      trigger.c vacuum.c vdbeblob.c vdbetrace.c vdbevtab.c vtab.c window.c
      build.c callback.c delete.c expr.c hash.c insert.c parse.c prepare.c printf.c resolve.c
      rowset.c select.c tokenize.c update.c upsert.c where.c wherecode.c whereexpr.c
      CACHE STRING "Files of the amalgamation compiled for size in the wasm build")
  set(WSQ_SQLITE_TIERED "${CMAKE_BINARY_DIR}/sqlite-tiered/sqlite3.c")
  add_custom_command(
    OUTPUT "${WSQ_SQLITE_TIERED}"
    COMMAND node "${PROJECT_SOURCE_DIR}/scripts/tier-sqlite.mjs" "${WSQ_SQLITE_DIR}/sqlite3.c"
            "${WSQ_SQLITE_TIERED}" ${WSQ_SQLITE_SMALL}
    DEPENDS "${WSQ_SQLITE_DIR}/sqlite3.c" "${PROJECT_SOURCE_DIR}/scripts/tier-sqlite.mjs"
    COMMENT "Marking the size-tier files of sqlite3.c")
  target_sources(sqlite3 PRIVATE "${WSQ_SQLITE_TIERED}")
  set_source_files_properties("${WSQ_SQLITE_TIERED}" PROPERTIES HEADER_FILE_ONLY ON)
  set_source_files_properties("${PROJECT_SOURCE_DIR}/core/src/sqlite/amalgamation.c"
                              PROPERTIES OBJECT_DEPENDS "${WSQ_SQLITE_TIERED}")
  # amalgamation.c's #include "sqlite3.c" finds the tiered copy first.
  target_include_directories(sqlite3 BEFORE PRIVATE "${CMAKE_BINARY_DIR}/sqlite-tiered")
endif()
