#!/usr/bin/env bash
# Installs what the build needs and is missing; safe to run any number of times.
#   apt:  compilers, wasm32-wasi sysroot, GoogleTest, CMake/Ninja, Node 20, the browsers of the tests
#         (Chromium, Firefox ESR, WebKitGTK's WebKitWebDriver and MiniBrowser, Xvfb for it),
#         PostgreSQL 15 (the sync tests start clusters of their own; none is left running)
#   npm:  the pinned dev dependencies (npm ci): Binaryen's wasm-opt for the build, the bundlers the
#         package is tested in, Kysely and Drizzle (its drivers are tested with them), the peers
#         the benchmarks run
#   src:  the SQLite amalgamation, from the npm tarball of better-sqlite3, verified by sha256
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

SQLITE_VERSION=3.54.1
SQLITE_NPM_PACKAGE=better-sqlite3@13.2.0
SQLITE_C_SHA256=75a4760a7b9727a4c4c877aec92eacf39e52a8f2921ce00bd33be6d3a8e8e254
SQLITE_H_SHA256=d6c84557261893439b341d2e6c35187ae3ea24fbfd843ad94616f72d89242b8c
SQLITE_DIR="$ROOT/build/deps/sqlite-$SQLITE_VERSION"

APT_PACKAGES=(
  clang-14 lld-14 cmake ninja-build make pkg-config
  wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32
  libgtest-dev clang-format-14 libclang-rt-14-dev nodejs npm
  chromium fonts-liberation
  firefox-esr webkit2gtk-driver xvfb
  postgresql
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

install_apt
install_npm
fetch_sqlite
log "ok"
