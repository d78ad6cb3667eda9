#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Runs every benchmark script bench/*.sh (each prints its figures as ratios against a baseline measured in
# the same run). BUILD_DIR is passed on; a failing benchmark is reported and the others still run.
set -uo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build}
export VIGIL=${VIGIL:-$PWD/$BUILD_DIR/vigil}
export SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
status=0
for script in bench/*.sh; do
  [ -e "$script" ] || continue
  echo "== $script"
  bash "$script" || { echo "!! $script failed"; status=1; }
done
exit $status
