#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Scale benchmark: SQLite vs ClickHouse (one server, two shards on this machine) on the same generated data —
# ingest throughput, /v2/signals/raw latency, a one-year 10,000-entity /v2/outages/summary. See bench/scale.py.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/bench/scale_fixture" ] || cmake --build "$BUILD_DIR" --target scale_fixture >/dev/null
VIGIL=${VIGIL:-$PWD/$BUILD_DIR/vigil} exec python3 bench/scale.py
