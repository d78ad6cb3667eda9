#!/usr/bin/env bash
# Full-table generation speed of `vigil sim --full-table`: a ~950k-prefix RIB behind 24 peers plus one hour
# of updates. Baseline measured in the same run: gzip -1 alone on the same uncompressed RIB bytes (the
# simulator's floor, since it must compress what it writes). Times are CPU seconds (user+sys) as well as
# wall seconds, because the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/build/vigil}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/time -f "%e %U %S" -o "$work/time" "$VIGIL" sim bench/sim/full-table.json "$work/out" --full-table >"$work/log"
read -r wall user sys <"$work/time"
rib_records=$(sed -n 's/.* \([0-9]*\) RIB records (\([0-9]*\) entries), \([0-9]*\) update records.*/\1/p' "$work/log")
rib_entries=$(sed -n 's/.* \([0-9]*\) RIB records (\([0-9]*\) entries), \([0-9]*\) update records.*/\2/p' "$work/log")
updates=$(sed -n 's/.* \([0-9]*\) RIB records (\([0-9]*\) entries), \([0-9]*\) update records.*/\3/p' "$work/log")
peers=$(sed -n 's/.* \([0-9]*\) peers$/\1/p' "$work/log")
bview=$(ls "$work"/out/mrt/rrc00/bview.*.gz)
zcat "$bview" >"$work/rib.raw"
raw_mb=$(du -m "$work/rib.raw" | cut -f1)
/usr/bin/time -f "%e %U %S" -o "$work/time2" gzip -1 -c "$work/rib.raw" >/dev/null
read -r gz_wall gz_user gz_sys <"$work/time2"

awk -v w="$wall" -v u="$user" -v s="$sys" -v rr="$rib_records" -v re="$rib_entries" -v up="$updates" -v p="$peers" \
    -v gw="$gz_wall" -v gu="$gz_user" -v gs="$gz_sys" -v mb="$raw_mb" 'BEGIN {
  cpu = u + s; gcpu = gu + gs; records = rr + up; routes = re + up;
  printf "sim full table: %d prefixes (RIB records), %d RIB entries, %d update records, %d peers\n", rr, re, up, p;
  printf "  wall %.1f s, cpu %.1f s\n", w, cpu;
  printf "  MRT records/s: %.0f (cpu) %.0f (wall); routes (RIB entries + updates)/s: %.0f (cpu) %.0f (wall)\n",
         records / cpu, records / w, routes / cpu, routes / w;
  printf "  baseline gzip -1 of the %d MB uncompressed RIB alone: cpu %.1f s\n", mb, gcpu;
  printf "  ratio sim cpu / gzip-only cpu: %.2f (1.00 = as fast as compressing the output)\n", cpu / gcpu;
}'
