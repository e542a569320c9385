# The SQLite amalgamation, fetched and verified by scripts/setup.sh; never committed. Two builds of
# it: SQLite as it is (sqlite3), and the encryption build (sqlite3_cipher: SQLite3 Multiple
# Ciphers' cipher layer over the same SQLite, which scripts/setup.sh makes).
set(WSQ_SQLITE_VERSION 3.54.1)
set(WSQ_CIPHER_VERSION 2.4.0)
set(WSQ_SQLITE_DIR "${PROJECT_SOURCE_DIR}/build/deps/sqlite-${WSQ_SQLITE_VERSION}"
    CACHE PATH "Directory holding sqlite3.c and sqlite3.h")
set(WSQ_CIPHER_DIR
    "${PROJECT_SOURCE_DIR}/build/deps/sqlite3mc-${WSQ_CIPHER_VERSION}-sqlite-${WSQ_SQLITE_VERSION}"
    CACHE PATH "Directory holding the encryption build's sqlite3.c and sqlite3.h")
foreach(dir "${WSQ_SQLITE_DIR}" "${WSQ_CIPHER_DIR}")
  if(NOT EXISTS "${dir}/sqlite3.c" OR NOT EXISTS "${dir}/sqlite3.h")
    message(FATAL_ERROR "${dir}/sqlite3.c not found: run scripts/setup.sh")
  endif()
endforeach()

# What the core compiles against: sqlite3.h (the same file in both builds) and the options.
add_library(sqlite3_headers INTERFACE)
target_include_directories(sqlite3_headers SYSTEM INTERFACE "${WSQ_SQLITE_DIR}"
                           "${PROJECT_SOURCE_DIR}/core")

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
endif()

# One translation unit around an amalgamation (core/src/sqlite/amalgamation.c), which reaches
# the key-value VFS's private record methods.
function(wsq_sqlite_library name dir)
  add_library(${name} STATIC "${PROJECT_SOURCE_DIR}/core/src/sqlite/amalgamation.c")
  target_include_directories(${name} SYSTEM PUBLIC "${PROJECT_SOURCE_DIR}/core")
  target_include_directories(${name} PRIVATE "${dir}" "${PROJECT_SOURCE_DIR}/core/include")
  # Every SQLITE_* option lives in core/sqlite_config.h; consumers include it through
  # web_sqlite/sqlite.h so the amalgamation and the core agree on them.
  target_compile_definitions(${name} PRIVATE SQLITE_CUSTOM_INCLUDE=sqlite_config.h)
  # The amalgamation is always optimized, even in Debug trees: it is the slow part to build and
  # run.
  target_compile_options(${name} PRIVATE ${WSQ_SQLITE_OPT} -w)
  if(WSQ_SANITIZE)
    # The sanitizer tree compiles SQLite instrumented, at -O1 and without debug information: 104
    # s instead of 146 s of a core here (the core's own code keeps -g, for ASan's reports).
    target_compile_options(${name} PRIVATE -O1 -g0)
  endif()
  if(WSQ_WASM)
    set(tiered "${CMAKE_BINARY_DIR}/${name}-tiered/sqlite3.c")
    add_custom_command(
      OUTPUT "${tiered}"
      COMMAND node "${PROJECT_SOURCE_DIR}/scripts/tier-sqlite.mjs" "${dir}/sqlite3.c"
              "${tiered}" ${WSQ_SQLITE_SMALL}
      DEPENDS "${dir}/sqlite3.c" "${PROJECT_SOURCE_DIR}/scripts/tier-sqlite.mjs"
              "${PROJECT_SOURCE_DIR}/scripts/amalgamation.mjs"
      COMMENT "Marking the size-tier files of ${name}'s sqlite3.c")
    target_sources(${name} PRIVATE "${tiered}")
    set_source_files_properties("${tiered}" PROPERTIES HEADER_FILE_ONLY ON)
    # amalgamation.c's #include "sqlite3.c" finds the tiered copy first. (Each library compiles
    # amalgamation.c on its own, so the dependency is the object's, through the target.)
    add_custom_target(${name}_tiered DEPENDS "${tiered}")
    add_dependencies(${name} ${name}_tiered)
    target_include_directories(${name} BEFORE PRIVATE "${CMAKE_BINARY_DIR}/${name}-tiered")
  endif()
endfunction()

wsq_sqlite_library(sqlite3 "${WSQ_SQLITE_DIR}")

# The encryption build: only the default cipher of SQLite3 Multiple Ciphers (ChaCha20-Poly1305,
# sqleet's format), the others compiled out; WSQ_CIPHER tells amalgamation.c to give the cipher
# layer its randomness in wasm (getentropy, from the host) and its ChaCha20 four blocks at a time
# (core/src/sqlite/chacha20.c).
wsq_sqlite_library(sqlite3_cipher "${WSQ_CIPHER_DIR}")
target_compile_definitions(sqlite3_cipher PRIVATE
    WSQ_CIPHER=1
    HAVE_CIPHER_AES_128_CBC=0 HAVE_CIPHER_AES_256_CBC=0 HAVE_CIPHER_SQLCIPHER=0
    HAVE_CIPHER_RC4=0 HAVE_CIPHER_ASCON128=0 HAVE_CIPHER_AEGIS=0
    SQLITE3MC_OMIT_AES_HARDWARE_SUPPORT=1)
if(WSQ_WASM)
  # SQLite3MC's name for a wasm build: its randomness then comes from getentropy().
  target_compile_definitions(sqlite3_cipher PRIVATE __WASM__=1)
  # SIMD128 for chacha20.c's vectors (every browser and Node 20 have it); the module is
  # optimized with it (CMakeLists.txt).
  target_compile_options(sqlite3_cipher PRIVATE -msimd128)
endif()
