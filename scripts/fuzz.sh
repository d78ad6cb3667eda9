#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Builds the libFuzzer targets in fuzz/ (clang-14, ASan + UBSan, build dir build-fuzz) and runs each for
# FUZZ_SECONDS (default 60) on its seed corpus, then replays every saved crash input in fuzz/regressions/.
# Prints per target: executions, executions/s, coverage (libFuzzer's final `cov:`), crashes.
# Env: FUZZ_SECONDS, FUZZ_TARGETS (space-separated subset), FUZZ_DIR (build dir), FUZZ_JOBS.
# Exit status: 0 when no target crashed, 1 when one did (inputs kept in $FUZZ_DIR/artifacts/<target>/),
# 2 when clang-14 or libFuzzer is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
ALL_TARGETS="mrt_record_fuzz mrt_dump_fuzz scenario_fuzz geo_csv_fuzz icmp_reply_fuzz api_request_fuzz ris_live_fuzz"
FUZZ_TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}

if ! command -v clang++-14 >/dev/null ||
  ! compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  echo "fuzz: clang-14 with libFuzzer is not installed (Debian: clang-14 libfuzzer-14-dev); nothing fuzzed" >&2
  exit 2
fi

if [ ! -f "$FUZZ_DIR/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_FUZZ=ON \
    >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$FUZZ_DIR" -j "$FUZZ_JOBS" --target $FUZZ_TARGETS

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
summary=()
for target in $FUZZ_TARGETS; do
  bin="$FUZZ_DIR/fuzz/$target"
  seeds="fuzz/corpus/$target"
  work="$FUZZ_DIR/corpus/$target"          # new inputs go here, not into the committed seeds
  artifacts="$FUZZ_DIR/artifacts/$target"
  log="$FUZZ_DIR/logs/$target.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*

  # Saved crash inputs first: each must now pass.
  regressions=(fuzz/regressions/"$target"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$bin" "${regressions[@]}" >"$log.regressions" 2>&1; then
      echo "fuzz: $target: a saved regression input fails again (see $log.regressions)" >&2
      failed=1
    fi
  fi

  echo "== fuzz $target for ${FUZZ_SECONDS}s"
  set +e
  "$bin" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  crashes=$(find "$artifacts" -type f | wc -l)
  line=$(printf '%-16s executions %-10s exec/s %-7s cov %-6s crashes %s' "$target" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "$crashes")
  echo "$line"
  summary+=("$line")
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    echo "fuzz: $target failed (exit $rc); inputs in $artifacts/, log $log:" >&2
    grep -m 20 -E 'ERROR|runtime error|SUMMARY|#[0-9]+ 0x' "$log" >&2 || tail -20 "$log" >&2
    failed=1
  fi
done

echo "== fuzz summary (${FUZZ_SECONDS}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
