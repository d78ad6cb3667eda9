#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# make screenshots: saves the Kazakhstan map (4-13 Jan 2022) as docs/img/kz.png with Chromium. Uses the store
# `make demo` filled (var/vigil.db: real pipeline output for the kz-2022-01 scenario) when it exists, else runs
# the browser test on its fixture and saves the map it checks.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake --build "$BUILD_DIR" --target vigil api_fixture_writer >/dev/null
if [ -f var/vigil.db ]; then
  VIGIL_STORE=$PWD/var/vigil.db node tests/web/browser_test.mjs "$BUILD_DIR" "$PWD" --screenshot docs/img/kz.png
else
  node tests/web/browser_test.mjs "$BUILD_DIR" "$PWD" --screenshot docs/img/kz.png
fi
