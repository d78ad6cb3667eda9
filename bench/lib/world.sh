# SPDX-License-Identifier: AGPL-3.0-or-later
# Sourced by the benchmarks that ingest a generated full-size world (bench/signals.sh, bench/acquire.sh):
# builds the generator and regenerates a world folder when it was written by another generator version.
# Needs BUILD_DIR; defines GEN and world DIR ARGS....
GEN=$PWD/${BUILD_DIR:-build}/bench/signals_bench_gen
cmake --build "${BUILD_DIR:-build}" --target signals_bench_gen >/dev/null
# The generator's output changes with its version: regenerate stale worlds.
GEN_VERSION="same-records-2"
world() {  # world DIR ARGS... -> generates DIR unless it holds this version
  local dir=$1
  shift
  if [ "$(cat "$dir/.done" 2>/dev/null)" != "$GEN_VERSION" ]; then
    rm -rf "$dir"
    echo "generating $dir ..."
    "$GEN" "$dir" "$@"
    echo "$GEN_VERSION" >"$dir/.done"
  fi
}
