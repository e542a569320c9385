#!/usr/bin/env bash
# Installs what the build needs and is missing; safe to run any number of times.
#   apt:  compilers, wasm32-wasi sysroot, GoogleTest, CMake/Ninja, Node 20, the browsers of the tests
#         (Chromium, Firefox ESR, WebKitGTK's WebKitWebDriver and MiniBrowser, Xvfb for it),
#         PostgreSQL 15 (the sync tests start clusters of their own; none is left running)
#   npm:  the pinned dev dependencies (npm ci): Binaryen's wasm-opt for the build, the bundlers the
#         package is tested in, Kysely and Drizzle (its drivers are tested with them), the peers
#         the benchmarks run, better-sqlite3-multiple-ciphers (built from source: the encryption
#         interoperability test)
#   src:  the SQLite amalgamation, from the npm tarball of better-sqlite3, verified by sha256; and
#         the encryption build's amalgamation: SQLite3 Multiple Ciphers' cipher layer over that
#         same SQLite (fetch_cipher, below), verified by sha256
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

SQLITE_VERSION=3.54.1
SQLITE_NPM_PACKAGE=better-sqlite3@13.2.0
SQLITE_C_SHA256=75a4760a7b9727a4c4c877aec92eacf39e52a8f2921ce00bd33be6d3a8e8e254
SQLITE_H_SHA256=d6c84557261893439b341d2e6c35187ae3ea24fbfd843ad94616f72d89242b8c
SQLITE_DIR="$ROOT/build/deps/sqlite-$SQLITE_VERSION"

# SQLite3 Multiple Ciphers (MIT): its amalgamation is SQLite 3.53.4 with a few edits (the hooks of
# its codec) followed by the cipher layer. Our builds keep one SQLite, $SQLITE_VERSION: the edits
# are taken as the difference between its SQLite part and the SQLite it started from (3.53.4, in
# better-sqlite3 13.0.2), applied to ours, and the cipher layer follows (docs/ARCHITECTURE.md,
# "Encryption").
CIPHER_VERSION=2.4.0
CIPHER_NPM_PACKAGE=better-sqlite3-multiple-ciphers@13.0.3
CIPHER_C_SHA256=ad84d2c24540cf62ea27ee414911a32963390769bd031f39a50aec0ad90614a0
CIPHER_BASE_NPM_PACKAGE=better-sqlite3@13.0.2
CIPHER_BASE_C_SHA256=6a2805f8c1ef020a7086e62258519323cf98b219e9fe87a42065d916cfebaefc
CIPHER_OUT_SHA256=3d6e402ff39b3c4ffda4c660fd77d6fe227deb5190ff093e619372787ac44d84
CIPHER_DIR="$ROOT/build/deps/sqlite3mc-$CIPHER_VERSION-sqlite-$SQLITE_VERSION"

APT_PACKAGES=(
  clang-14 lld-14 cmake ninja-build make pkg-config g++ python3
  wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32
  libgtest-dev clang-format-14 libclang-rt-14-dev nodejs npm
  chromium fonts-liberation
  firefox-esr webkit2gtk-driver xvfb
  postgresql patch
)

log() { printf 'setup: %s\n' "$*"; }

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # Debian's "nodejs" may be absent while a newer node is on PATH; that one is fine.
  if command -v node >/dev/null && command -v npm >/dev/null; then
    local keep=()
    for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || keep+=("$p"); done
    missing=("${keep[@]}")
  fi
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if ((major < 20)); then
    echo "setup: Node.js 20 or newer is required (found $(node --version))" >&2
    exit 1
  fi
}

install_npm() {
  # npm ci is skipped when node_modules already matches the lockfile.
  if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s package-lock.json node_modules/.setup-lock; then
    log "npm ci"
    # better-sqlite3-multiple-ciphers (the encryption interoperability test) is built from source
    # against this Node's own headers: nothing is downloaded but from the npm registry.
    local prefix
    prefix=$(node -p 'require("path").resolve(process.execPath, "../..")')
    if [[ ! -f $prefix/include/node/node.h ]]; then
      echo "setup: Node's headers are missing ($prefix/include/node/node.h)" >&2
      exit 1
    fi
    npm_config_build_from_source=true npm_config_nodedir="$prefix" \
      npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.setup-lock
  fi
}

sha_ok() { echo "$2  $1" | sha256sum --check --status; }

fetch_sqlite() {
  if [[ -f $SQLITE_DIR/sqlite3.c ]] && sha_ok "$SQLITE_DIR/sqlite3.c" "$SQLITE_C_SHA256" &&
    sha_ok "$SQLITE_DIR/sqlite3.h" "$SQLITE_H_SHA256"; then
    return
  fi
  log "fetching SQLite $SQLITE_VERSION from $SQLITE_NPM_PACKAGE"
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --silent "$SQLITE_NPM_PACKAGE" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/deps/sqlite3/sqlite3.c package/deps/sqlite3/sqlite3.h
  if ! sha_ok "$tmp/package/deps/sqlite3/sqlite3.c" "$SQLITE_C_SHA256" ||
    ! sha_ok "$tmp/package/deps/sqlite3/sqlite3.h" "$SQLITE_H_SHA256"; then
    echo "setup: sha256 mismatch for the SQLite amalgamation from $SQLITE_NPM_PACKAGE" >&2
    exit 1
  fi
  mkdir -p "$SQLITE_DIR"
  cp "$tmp/package/deps/sqlite3/sqlite3.c" "$tmp/package/deps/sqlite3/sqlite3.h" "$SQLITE_DIR/"
}

# The amalgamation of the encryption build (needs fetch_sqlite's): SQLite3MC's text before its
# SQLite part, our SQLite with SQLite3MC's edits, SQLite3MC's text after its SQLite part.
fetch_cipher() {
  if [[ -f $CIPHER_DIR/sqlite3.c ]] && sha_ok "$CIPHER_DIR/sqlite3.c" "$CIPHER_OUT_SHA256" &&
    sha_ok "$CIPHER_DIR/sqlite3.h" "$SQLITE_H_SHA256"; then
    return
  fi
  log "making SQLite3 Multiple Ciphers $CIPHER_VERSION over SQLite $SQLITE_VERSION"
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir "$tmp/mc" "$tmp/base"
  (cd "$tmp/mc" && npm pack --silent "$CIPHER_NPM_PACKAGE" >/dev/null)
  (cd "$tmp/base" && npm pack --silent "$CIPHER_BASE_NPM_PACKAGE" >/dev/null)
  tar -xzf "$tmp"/mc/*.tgz -C "$tmp/mc" package/deps/sqlite3/sqlite3.c
  tar -xzf "$tmp"/base/*.tgz -C "$tmp/base" package/deps/sqlite3/sqlite3.c
  local mc=$tmp/mc/package/deps/sqlite3/sqlite3.c base=$tmp/base/package/deps/sqlite3/sqlite3.c
  if ! sha_ok "$mc" "$CIPHER_C_SHA256" || ! sha_ok "$base" "$CIPHER_BASE_C_SHA256"; then
    echo "setup: sha256 mismatch for $CIPHER_NPM_PACKAGE or $CIPHER_BASE_NPM_PACKAGE" >&2
    exit 1
  fi
  local begin end
  begin=$(grep -n -m1 '^/\*\*\* Begin of #include "sqlite3patched.c" \*\*\*/$' "$mc" | cut -d: -f1)
  end=$(grep -n -m1 '^/\*\*\* End of #include "sqlite3patched.c" \*\*\*/$' "$mc" | cut -d: -f1)
  sed -n "$((begin + 1)),$((end - 1))p" "$mc" >"$tmp/mc-sqlite.c"
  diff -u "$base" "$tmp/mc-sqlite.c" >"$tmp/edits.diff" && {
    echo "setup: no edits found in $CIPHER_NPM_PACKAGE's SQLite" >&2
    exit 1
  }
  patch --quiet --forward -o "$tmp/sqlite.c" "$SQLITE_DIR/sqlite3.c" <"$tmp/edits.diff"
  {
    sed -n "1,${begin}p" "$mc"
    cat "$tmp/sqlite.c"
    sed -n "${end},\$p" "$mc"
  } >"$tmp/sqlite3.c"
  # SQLite3MC's VFS reads pass on a short read only: any other error of the file under it (an
  # I/O error) went on to decryption, and came out as "not a database", a corrupt page, or a
  # wrong key (the I/O fault injection with a key found it). Its two reads pass on every error.
  local fix='s/^\( *\)if (rc == SQLITE_IOERR_SHORT_READ)$/\1if (rc != SQLITE_OK)/'
  if [[ $(grep -c '^ *if (rc == SQLITE_IOERR_SHORT_READ)$' "$tmp/sqlite3.c") != 2 ]]; then
    echo "setup: SQLite3MC's reads are not the ones expected" >&2
    exit 1
  fi
  sed -i "$fix" "$tmp/sqlite3.c"
  # Its ChaCha20 computes one block after the other; ours (core/src/sqlite/chacha20.c, the same key
  # stream four blocks at a time) replaces it: its definition is renamed, kept for the test that
  # compares the two.
  local chacha='^void chacha20_xor(void\* buffer, size_t n, const uint8_t key\[32\],$'
  if [[ $(grep -c "$chacha" "$tmp/sqlite3.c") != 1 ]]; then
    echo "setup: SQLite3MC's ChaCha20 is not the one expected" >&2
    exit 1
  fi
  sed -i "s/$chacha/void chacha20_xor_sqleet(void* buffer, size_t n, const uint8_t key[32],/" \
    "$tmp/sqlite3.c"
  if ! sha_ok "$tmp/sqlite3.c" "$CIPHER_OUT_SHA256"; then
    echo "setup: the encryption build's amalgamation is not the one expected" \
      "(sha256 $(sha256sum "$tmp/sqlite3.c" | cut -c1-64))" >&2
    exit 1
  fi
  mkdir -p "$CIPHER_DIR"
  cp "$tmp/sqlite3.c" "$CIPHER_DIR/"
  cp "$SQLITE_DIR/sqlite3.h" "$CIPHER_DIR/"
}

install_apt
install_npm
fetch_sqlite
fetch_cipher
log "ok"
