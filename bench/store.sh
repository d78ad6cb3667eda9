#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Store benchmark: series write throughput (points/s) and aggregated-read latency for 30 days of 5-minute
# data, printed as ratios against baselines measured in the same run (bare sqlite3 inserts in one
# transaction; reading raw points and averaging in C++). Sizes: STORE_BENCH_ENTITIES (default 300),
# STORE_BENCH_DAYS (30), STORE_BENCH_SINGLE_DAYS (2: days ingested one 5-minute input per transaction).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bin="$BUILD_DIR/bench/store_bench"
[ -x "$bin" ] || cmake --build "$BUILD_DIR" --target store_bench >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-store-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin" "$work/db" "${STORE_BENCH_ENTITIES:-300}" "${STORE_BENCH_DAYS:-30}" "${STORE_BENCH_SINGLE_DAYS:-2}"
