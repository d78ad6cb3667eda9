#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# BGP signal benchmark: `vigil ingest mrt` on a generated full-size world (900,000 IPv4 prefixes x 24
# full-feed peers in a TABLE_DUMP_V2 RIB, then 1,000,000 updates in 12 five-minute files) against the
# baseline `vigil mrt stat` (pure decoding) on the same files, measured in this run. Prints records/s, peak
# RSS and the cost ratio (goal: <= 1.5x decoding, RSS <= 2 GiB). CPU time (user+sys) is the primary figure
# because the machine may be shared; wall time is printed too.
# Then bgp-v6 (issue 22): a generated full IPv6 world (220,000 IPv6 prefixes x 20 full-feed peers in a RIB,
# 1,000,000 IPv6 updates in 12 files) and its IPv4 twin (the same generator with --family 4: 220,000 IPv4
# prefixes, the same peers, the same RIB entries per peer and the same updates record for record), each
# ingested by the same command with the same full-feed threshold (100,000 for either family), so both
# produce the same 13 bins from the same number of routing records. Cost per record = CPU time (user+sys)
# of the whole `vigil ingest mrt` process (decompression, MRT decoding, both families' builders, geo,
# store commits) / the routing records of the world's family (RIB entries + announcements + withdrawals),
# median of 3 runs each (alternating; `vigil mrt stat` likewise for the decoding share). Goal: IPv6 / IPv4 <= 1.5x;
# peak RSS of the IPv6 ingest (full IPv6 table x 20 peers) <= 1 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
VIGIL=${VIGIL:-$PWD/$BUILD_DIR/vigil}
MODEL_BENCH=$PWD/$BUILD_DIR/bench/signals_model_bench
cmake --build "$BUILD_DIR" --target signals_model_bench >/dev/null
# shellcheck source=bench/lib/world.sh
source bench/lib/world.sh

DATA=$PWD/$BUILD_DIR/bench-data/signals-full
world "$DATA" --prefixes 900000 --peers 24 --updates 1000000 --files 12
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
  printf "baseline  vigil mrt stat:   %.2f s CPU (%.2f s wall), %.0f elements/s CPU, peak RSS %.0f MiB\n",
    sc, sw, r / sc, sr / 1024;
  printf "signal    vigil ingest mrt: %.2f s CPU (%.2f s wall), %.0f records/s CPU (%.0f/s wall), peak RSS %.0f MiB\n",
    ic, iw, r / ic, r / iw, ir / 1024;
  printf "ratio ingest / decode: %.2fx CPU, %.2fx wall (goal <= 1.5x); peak RSS %.2f GiB (goal <= 2 GiB)\n",
    ic / sc, iw / sw, ir / 1048576;
}'

DATA6=$PWD/$BUILD_DIR/bench-data/signals-full-v6
TWIN4=$PWD/$BUILD_DIR/bench-data/signals-twin-v4
world "$DATA6" --prefixes 220000 --peers 20 --updates 1000000 --files 12 --family 6
world "$TWIN4" --prefixes 220000 --peers 20 --updates 1000000 --files 12 --family 4
THRESHOLDS=(--full-feed-min 100000 --full-feed-min-v6 100000)
cpu() { awk '{ printf "%.2f", $2 + $3 }' "$1.time"; }
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
c6=() c4t=() d6=() d4t=()
rss6=0 rss4t=0
for run in 1 2 3; do
  measure "$WORK/stat6" "$VIGIL" mrt stat "$DATA6"/mrt/rrc00/*
  d6+=("$(cpu "$WORK/stat6")")
  measure "$WORK/stat4t" "$VIGIL" mrt stat "$TWIN4"/mrt/rrc00/*
  d4t+=("$(cpu "$WORK/stat4t")")
  rm -f "$WORK"/twin*.db*
  measure "$WORK/ingest6" "$VIGIL" ingest mrt "${THRESHOLDS[@]}" --store "$WORK/twin6.db" --geo "$DATA6/geo" \
    "$DATA6/mrt"
  c6+=("$(cpu "$WORK/ingest6")")
  rss6=$(awk -v m="$rss6" '{ print ($4 > m ? $4 : m) }' "$WORK/ingest6.time")
  measure "$WORK/ingest4t" "$VIGIL" ingest mrt "${THRESHOLDS[@]}" --store "$WORK/twin4.db" --geo "$TWIN4/geo" \
    "$TWIN4/mrt"
  c4t+=("$(cpu "$WORK/ingest4t")")
  rss4t=$(awk -v m="$rss4t" '{ print ($4 > m ? $4 : m) }' "$WORK/ingest4t.time")
done
records6=$(sed -n 's/^bgp-v6: \([0-9]*\) IPv6 records.*/\1/p' "$WORK/ingest6")
records4t=$(sed -n 's/.* records (\([0-9]*\) IPv4).*/\1/p' "$WORK/ingest4t")
bins6=$(sed -n 's/^bgp-v6: [0-9]* IPv6 records; \([0-9]*\) bin values.*/\1/p' "$WORK/ingest6")
bins4t=$(sed -n 's/.*; \([0-9]*\) bin values; last bin.*/\1/p' "$WORK/ingest4t" | head -1)
[ -n "$records6" ] && [ -n "$records4t" ] || { cat "$WORK/ingest6" "$WORK/ingest6.err" "$WORK/ingest4t"; exit 1; }
cat "$WORK/ingest6" "$WORK/ingest4t"
if [ "$records6" != "$records4t" ] || [ "$bins6" != "$bins4t" ]; then
  echo "IPv6 world and IPv4 twin differ (records $records6 vs $records4t, bins $bins6 vs $bins4t): not comparable" >&2
  exit 1
fi
m6=$(median3 "${c6[@]}")
m4=$(median3 "${c4t[@]}")
echo "ingest CPU s, 3 runs each: IPv6 world ${c6[*]}; IPv4 twin ${c4t[*]} (decoding: ${d6[*]}; ${d4t[*]})"
awk -v r="$records6" -v b="$bins6" -v m6="$m6" -v m4="$m4" -v vr="$rss6" -v tr="$rss4t" \
    -v t6="$(median3 "${d6[@]}")" -v t4="$(median3 "${d4t[@]}")" 'BEGIN {
  printf "same work: %d routing records (RIB entries + announcements + withdrawals), 20 peers, " \
    "%d bins in either world\n", r, b;
  printf "decoding per record (vigil mrt stat): IPv6 %.0f ns, IPv4 twin %.0f ns " \
    "(%.2fx: MP_REACH_NLRI, 16-byte next hops)\n",
    t6 / r * 1e9, t4 / r * 1e9, t6 / t4;
  printf "signal share per record (ingest - decoding): IPv6 %.0f ns, IPv4 twin %.0f ns (%.2fx)\n",
    (m6 - t6) / r * 1e9, (m4 - t4) / r * 1e9, (m6 - t6) / (m4 - t4);
  printf "bgp-v6    vigil ingest mrt: %.2f s CPU (median), %.0f IPv6 records/s CPU; " \
    "IPv4 twin %.2f s, %.0f records/s, peak RSS %.0f MiB\n", m6, r / m6, m4, r / m4, tr / 1024;
  printf "ratio IPv6 / IPv4 ingest CPU per record: %.2fx (%.0f ns vs %.0f ns; goal <= 1.5x); " \
    "peak RSS (max of 3), full IPv6 table x 20 peers: %.0f MiB = %.2f GiB (goal <= 1 GiB)\n",
    m6 / m4, m6 / r * 1e9, m4 / r * 1e9, vr / 1024, vr / 1048576;
}'
# Where the signal's own time goes: table loading and per-bin evaluation without MRT decoding.
"$MODEL_BENCH" --prefixes 900000 --peers 24 --updates-per-bin 83334 --bins 12
