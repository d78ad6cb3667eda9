#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Detection over 10,000 entities × 30 days of 5-min bins (86.4 M bins), generated in memory; goals < 2 s and
# < 1 GiB. The baseline is the same loop generating the series without detecting.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake --build "$BUILD_DIR" --target detect_bench >/dev/null
"$BUILD_DIR/bench/detect_bench" "${DETECT_BENCH_ENTITIES:-10000}" "${DETECT_BENCH_DAYS:-30}"
