#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# BGP signal benchmark: `vigil ingest mrt` on a generated full-size world (900,000 IPv4 prefixes x 24
# full-feed peers in a TABLE_DUMP_V2 RIB, then 1,000,000 updates in 12 five-minute files) against the
# baseline `vigil mrt stat` (pure decoding) on the same files, measured in this run. Prints records/s, peak
# RSS and the cost ratio (goal: <= 1.5x decoding, RSS <= 2 GiB). CPU time (user+sys) is the primary figure
# because the machine may be shared; wall time is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
VIGIL=${VIGIL:-$PWD/$BUILD_DIR/vigil}
GEN=$PWD/$BUILD_DIR/bench/signals_bench_gen
MODEL_BENCH=$PWD/$BUILD_DIR/bench/signals_model_bench
[ -x "$GEN" ] || cmake --build "$BUILD_DIR" --target signals_bench_gen signals_model_bench >/dev/null

DATA=$PWD/$BUILD_DIR/bench-data/signals-full
if [ ! -f "$DATA/.done" ]; then
  rm -rf "$DATA"
  echo "generating the full-table world in $DATA ..."
  "$GEN" "$DATA" --prefixes 900000 --peers 24 --updates 1000000 --files 12
  touch "$DATA/.done"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FILES=("$DATA"/mrt/rrc00/*)

measure() {  # measure OUT command... -> "wall user sys maxrss_kb" in OUT.time
  local out=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" >"$out" 2>"$out.err"
}

measure "$WORK/stat" "$VIGIL" mrt stat "${FILES[@]}"
measure "$WORK/ingest" "$VIGIL" ingest mrt --store "$WORK/bench.db" --geo "$DATA/geo" "$DATA/mrt"
read -r s_wall s_user s_sys s_rss <"$WORK/stat.time"
read -r i_wall i_user i_sys i_rss <"$WORK/ingest.time"
records=$(grep -o 'records: [0-9]*\|[0-9]* records (' "$WORK/ingest" | grep -o '[0-9]*' | head -1)
[ -n "$records" ] || { cat "$WORK/ingest" "$WORK/ingest.err"; exit 1; }
cat "$WORK/ingest"
awk -v r="$records" -v sw="$s_wall" -v su="$s_user" -v ss="$s_sys" -v sr="$s_rss" \
    -v iw="$i_wall" -v iu="$i_user" -v is="$i_sys" -v ir="$i_rss" 'BEGIN {
  sc = su + ss; ic = iu + is;
  printf "baseline  vigil mrt stat:   %.2f s CPU (%.2f s wall), %.0f elements/s CPU, peak RSS %.0f MiB\n", sc, sw, r / sc, sr / 1024;
  printf "signal    vigil ingest mrt: %.2f s CPU (%.2f s wall), %.0f records/s CPU (%.0f/s wall), peak RSS %.0f MiB\n", ic, iw, r / ic, r / iw, ir / 1024;
  printf "ratio ingest / decode: %.2fx CPU, %.2fx wall (goal <= 1.5x); peak RSS %.2f GiB (goal <= 2 GiB)\n", ic / sc, iw / sw, ir / 1048576;
}'
# Where the signal's own time goes: table loading and per-bin evaluation without MRT decoding.
"$MODEL_BENCH" --prefixes 900000 --peers 24 --updates-per-bin 83334 --bins 12
