#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# BGP signal benchmark: `vigil ingest mrt` on a generated full-size world (900,000 IPv4 prefixes x 24
# full-feed peers in a TABLE_DUMP_V2 RIB, then 1,000,000 updates in 12 five-minute files) against the
# baseline `vigil mrt stat` (pure decoding) on the same files, measured in this run. Prints records/s, peak
# RSS and the cost ratio (goal: <= 1.5x decoding, RSS <= 2 GiB). CPU time (user+sys) is the primary figure
# because the machine may be shared; wall time is printed too.
# Then bgp-v6: a generated full IPv6 world (220,000 IPv6 prefixes x 20 full-feed peers, 1,000,000 IPv6
# updates in 12 files) through the same command: ingest CPU per record against IPv4's from the run above
# (goal <= 1.5x) and peak RSS (goal <= 1 GiB).
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

DATA6=$PWD/$BUILD_DIR/bench-data/signals-full-v6
if [ ! -f "$DATA6/.done" ]; then
  rm -rf "$DATA6"
  echo "generating the full IPv6 world in $DATA6 ..."
  "$GEN" "$DATA6" --prefixes 220000 --peers 20 --updates 1000000 --files 12 --family 6
  touch "$DATA6/.done"
fi
measure "$WORK/stat6" "$VIGIL" mrt stat "$DATA6"/mrt/rrc00/*
read -r t_wall t_user t_sys t_rss <"$WORK/stat6.time"
measure "$WORK/ingest6" "$VIGIL" ingest mrt --store "$WORK/bench6.db" --geo "$DATA6/geo" "$DATA6/mrt"
read -r v_wall v_user v_sys v_rss <"$WORK/ingest6.time"
records6=$(sed -n 's/^bgp-v6: \([0-9]*\) IPv6 records.*/\1/p' "$WORK/ingest6")
[ -n "$records6" ] || { cat "$WORK/ingest6" "$WORK/ingest6.err"; exit 1; }
cat "$WORK/ingest6"
awk -v r="$records" -v iu="$i_user" -v is="$i_sys" -v r6="$records6" -v vw="$v_wall" -v vu="$v_user" -v vs="$v_sys" \
    -v vr="$v_rss" -v su="$s_user" -v ss="$s_sys" -v tu="$t_user" -v ts="$t_sys" 'BEGIN {
  c4 = (iu + is) / r; c6 = (vu + vs) / r6; d4 = (su + ss) / r; d6 = (tu + ts) / r6;
  printf "decoding per record (vigil mrt stat): IPv6 %.0f ns, IPv4 %.0f ns (%.2fx: MP_REACH_NLRI, 16-byte next hops)\n", d6 * 1e9, d4 * 1e9, d6 / d4;
  printf "signal share per record (ingest - decoding): IPv6 %.0f ns, IPv4 %.0f ns (%.2fx)\n", (c6 - d6) * 1e9, (c4 - d4) * 1e9, (c6 - d6) / (c4 - d4);
  printf "bgp-v6    vigil ingest mrt: %.2f s CPU (%.2f s wall), %.0f IPv6 records/s CPU, peak RSS %.0f MiB\n", vu + vs, vw, r6 / (vu + vs), vr / 1024;
  printf "ratio IPv6 / IPv4 ingest CPU per record: %.2fx (%.0f ns vs %.0f ns; goal <= 1.5x); peak RSS, full IPv6 table x 20 peers: %.2f GiB (goal <= 1 GiB)\n", c6 / c4, c6 * 1e9, c4 * 1e9, vr / 1048576;
}'
# Where the signal's own time goes: table loading and per-bin evaluation without MRT decoding.
"$MODEL_BENCH" --prefixes 900000 --peers 24 --updates-per-bin 83334 --bins 12
