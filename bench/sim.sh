#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Full-table generation speed of `vigil sim --full-table`: a ~950k-prefix RIB behind 24 peers (20 full-feed)
# plus one hour of updates. Goal (issue 6): >= 1 M MRT records/s.
#
# MRT records = RIB_IPV4_UNICAST records (one per prefix, holding every peer's entry for it; TABLE_DUMP_V2 is
# prefix-major) + BGP4MP update/state-change records; the PEER_INDEX_TABLE is not counted. Rates use the
# whole process's CPU time (user + sys from /usr/bin/time: world building, RIB, updates, geo and probe files
# included) and its wall time; the machine is shared, so CPU time is the figure that means something, and
# the uncompressed run is repeated and its fastest run kept.
#
# Baselines, measured in the same run on the same uncompressed RIB bytes: `cat` of them into a file (a
# buffered copy through the page cache), `dd oflag=direct` of them (what the default O_DIRECT writer does
# with the bytes, without generating them), and `zstd -1` / `gzip -1` of them (the floor of the compressed
# modes, which the compressor dominates).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/build/vigil}
RUNS=${SIM_BENCH_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-sim-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

cpu_of() { awk '{ printf "%.3f", $2 + $3 }' "$1"; }
wall_of() { awk '{ print $1 }' "$1"; }

declare -A cpu wall size
records=0
run() {  # name, then vigil sim options
  local name=$1
  shift
  rm -rf "$work/out"
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$VIGIL" sim bench/sim/full-table.json "$work/out" --full-table "$@" \
      >"$work/log"
  local c w
  c=$(cpu_of "$work/time")
  w=$(wall_of "$work/time")
  if [ -z "${cpu[$name]:-}" ] || awk -v a="$c" -v b="${cpu[$name]}" 'BEGIN { exit !(a < b) }'; then
    cpu[$name]=$c
    wall[$name]=$w
  fi
  size[$name]=$(du -sm "$work/out/mrt" | cut -f1)
  local line rib
  line=$(grep '^mrt:' "$work/log")
  rib=$(sed -n 's/.* \([0-9]*\) RIB records (\([0-9]*\) entries), \([0-9]*\) update records.*/\1 \2 \3/p' <<<"$line")
  read -r rib_records rib_entries updates <<<"$rib"
  records=$((rib_records + updates))
  peers=$(sed -n 's/.* \([0-9]*\) peers$/\1/p' "$work/log")
}

for _ in $(seq "$RUNS"); do run none --compression none; done
cp "$work"/out/mrt/rrc00/bview.* "$work/rib.raw"
run none-buffered --compression none --buffered
run zstd --compression zstd
run gzip --compression gzip
rm -rf "$work/out"

raw_mb=$(du -m "$work/rib.raw" | cut -f1)
/usr/bin/time -f "%e %U %S" -o "$work/time" cat "$work/rib.raw" >"$work/copy"
cat_cpu=$(cpu_of "$work/time"); cat_wall=$(wall_of "$work/time"); rm -f "$work/copy"
/usr/bin/time -f "%e %U %S" -o "$work/time" dd if="$work/rib.raw" of="$work/copy" bs=4M oflag=direct status=none
dd_cpu=$(cpu_of "$work/time"); dd_wall=$(wall_of "$work/time"); rm -f "$work/copy"
/usr/bin/time -f "%e %U %S" -o "$work/time" zstd -1 -q -c "$work/rib.raw" >/dev/null
zstd_cpu=$(cpu_of "$work/time")
/usr/bin/time -f "%e %U %S" -o "$work/time" gzip -1 -c "$work/rib.raw" >/dev/null
gzip_cpu=$(cpu_of "$work/time")

echo "sim full table: $rib_records prefixes (RIB records), $rib_entries RIB entries, $updates update records" \
     "= $records MRT records, $peers peers"
echo "  baselines on the ${raw_mb} MB uncompressed RIB: cat to a file cpu $cat_cpu s (wall $cat_wall s);" \
     "dd oflag=direct cpu $dd_cpu s (wall $dd_wall s); zstd -1 cpu $zstd_cpu s; gzip -1 cpu $gzip_cpu s"
for name in none none-buffered zstd gzip; do
  case $name in
    none) label="none (O_DIRECT, default), fastest of $RUNS"; base=$dd_cpu; base_name="dd oflag=direct" ;;
    none-buffered) label="none --buffered"; base=$cat_cpu; base_name="cat" ;;
    zstd) label="zstd -1"; base=$zstd_cpu; base_name="zstd -1" ;;
    gzip) label="gzip -1"; base=$gzip_cpu; base_name="gzip -1" ;;
  esac
  awk -v l="$label" -v c="${cpu[$name]}" -v w="${wall[$name]}" -v r="$records" -v s="${size[$name]}" \
      -v b="$base" -v bn="$base_name" 'BEGIN {
    printf "  --compression %s: %d MB; cpu %.2f s, wall %.2f s; %.0f MRT records/s cpu (%.2f x the 1 M/s goal), " \
           "%.0f/s wall; sim cpu / %s cpu on the same bytes %.2f\n",
           l, s, c, w, r / c, r / c / 1e6, r / w, bn, c / (b > 0 ? b : 0.01);
  }'
done
