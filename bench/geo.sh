#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Geo benchmark (see bench/geo/geo_bench.cc): range-table build time, lookups/s, per-entity /24 counts for
# ~1 M generated prefixes. Figures are printed with their baselines from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake --build "$BUILD_DIR" --target geo_bench >/dev/null
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
"$BUILD_DIR/bench/geo_bench" node_modules/@ip-location-db "$cache"
