#!/usr/bin/env bash
# make screenshots: runs the browser test against the fixture store and saves the Kazakhstan map as
# docs/img/kz.png (needs /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake --build "$BUILD_DIR" --target vigil api_fixture_writer >/dev/null
node tests/web/browser_test.mjs "$BUILD_DIR" "$PWD" --screenshot docs/img/kz.png
