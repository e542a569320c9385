#!/usr/bin/env bash
# Runs each libFuzzer target of build/sanitize for SECONDS (default 20), from its seed corpus in
# core/fuzz/corpus/<target> plus a working corpus in build/sanitize/fuzz/<target>, inside a
# scratch directory (SQL may ATTACH or VACUUM INTO files), all targets at once. Prints the
# executions of each.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
BUILD=build/sanitize
# The targets run at once (each is one process; two cores share them), then each is reported.
run() {
  local target=$1
  local work="$BUILD/fuzz/$target"
  local scratch="$BUILD/fuzz/scratch-$target"
  local bin="$PWD/$BUILD/wsq_fuzz_$target"
  mkdir -p "$work" "$scratch"
  # (Inside, $PWD is the scratch directory: the working corpus and the log are beside it.)
  (cd "$scratch" && "$bin" -max_total_time="$SECONDS_EACH" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$PWD/../$target" \
    "$PWD/../../../../core/fuzz/corpus/$target" >"$PWD/../$target.log" 2>&1)
}
TARGETS=(param_decoder result_roundtrip c_abi)
pids=()
for target in "${TARGETS[@]}"; do
  run "$target" &
  pids+=($!)
done
total=0
failed=0
for i in "${!TARGETS[@]}"; do
  target=${TARGETS[$i]}
  log="$BUILD/fuzz/$target.log"
  if ! wait "${pids[$i]}"; then
    echo "fuzz: $target FAILED; see $log" >&2
    tail -40 "$log" >&2
    failed=1
    continue
  fi
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  total=$((total + runs))
  printf 'fuzz: %-17s %9d executions in %ss, no crash\n' "$target" "$runs" "$SECONDS_EACH"
done
[[ $failed == 0 ]] || exit 1
printf 'fuzz: %d executions in all\n' "$total"
