#!/usr/bin/env bash
# Runs each libFuzzer target of build/sanitize for SECONDS (default 20), from its seed corpus in
# core/fuzz/corpus/<target> plus a working corpus in build/sanitize/fuzz/<target>, inside a
# scratch directory (SQL may ATTACH or VACUUM INTO files). Prints the executions of each.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
BUILD=build/sanitize
total=0
for target in param_decoder result_roundtrip c_abi; do
  work="$BUILD/fuzz/$target"
  scratch="$BUILD/fuzz/scratch-$target"
  mkdir -p "$work" "$scratch"
  log="$BUILD/fuzz/$target.log"
  bin="$PWD/$BUILD/wsq_fuzz_$target"
  if ! (cd "$scratch" && "$bin" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 "$PWD/../$target" "$PWD/../../../../core/fuzz/corpus/$target" \
    >"$PWD/../$target.log" 2>&1); then
    echo "fuzz: $target FAILED; see $log" >&2
    tail -40 "$log" >&2
    exit 1
  fi
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  total=$((total + runs))
  printf 'fuzz: %-17s %9d executions in %ss, no crash\n' "$target" "$runs" "$SECONDS_EACH"
done
printf 'fuzz: %d executions in all\n' "$total"
