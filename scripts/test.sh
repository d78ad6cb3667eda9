#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Runs every test: the unit and integration tests registered with CTest, then the sanitizer suite
# (a second build with ASan + UBSan of the targets that parse hostile input), then the libFuzzer smoke
# (FUZZ_SECONDS per target, 60 by default; FUZZ_SECONDS=0 leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
ASAN_DIR=${ASAN_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}

echo "== format check (.clang-format)"
scripts/format.sh --check

echo "== unit and integration tests"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"

# Targets whose tests also run under AddressSanitizer + UndefinedBehaviorSanitizer (label `sanitize`).
mapfile -t asan_targets < <(grep -v '^\s*#' tests/sanitize-targets.txt | grep -v '^$' || true)
if [ ${#asan_targets[@]} -gt 0 ]; then
  echo "== sanitizer tests (ASan + UBSan): ${asan_targets[*]}"
  [ -f "$ASAN_DIR/build.ninja" ] ||
    cmake -S . -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE=ON >/dev/null
  cmake --build "$ASAN_DIR" -j "$JOBS" --target "${asan_targets[@]}"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$ASAN_DIR" --output-on-failure -j "$JOBS" -L sanitize
fi

# libFuzzer smoke: every fuzz target for FUZZ_SECONDS on its seed corpus, plus the saved crash inputs.
# Cost on 2 cores: a cold clang-14 build of the six targets is ~390 CPU-seconds (about 3-4 minutes of wall
# time on an idle 2-core machine; 41 minutes on this project's shared, overloaded one), then 6 x 60 s.
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  if command -v clang++-14 >/dev/null &&
    compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
    echo "== fuzz smoke (libFuzzer + ASan + UBSan, ${FUZZ_SECONDS}s per target)"
    FUZZ_SECONDS="$FUZZ_SECONDS" FUZZ_JOBS="$JOBS" scripts/fuzz.sh
  else
    echo "== fuzz smoke SKIPPED: clang-14 and libFuzzer are not installed (Debian: clang-14 libfuzzer-14-dev)"
  fi
else
  echo "== fuzz smoke not run (FUZZ_SECONDS=0)"
fi
