#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `make eval`: runs every scenario in scenarios/ through sim -> ingest -> detect -> eval and prints one
# table (a row per scenario; a scenario whose pipeline stage is missing or failing says which). Extra
# arguments go to `vigil eval-scenario` (e.g. --workdir DIR to keep the outputs, --json for JSON lines).
set -uo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/${BUILD_DIR:-build}/vigil}
exec "$VIGIL" eval-scenario scenarios/*.json --both "$@"
