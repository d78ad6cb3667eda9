#!/usr/bin/env bash
# Full-table generation speed of `vigil sim --full-table`: a ~950k-prefix RIB behind 24 peers plus one hour
# of updates, once per MRT compression (none, zstd level 1, gzip level 1). Goal (issue 6): >= 1 M MRT
# records/s. Baselines measured in the same run on the same uncompressed bytes: `cat` of them into a file
# (the cost of just writing them) and `gzip -1` of them (the floor of the gzip mode). Times are CPU seconds
# (user+sys) as well as wall seconds, because the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/build/vigil}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A cpu wall
records=0
for compression in none zstd gzip; do
  rm -rf "$work/out"
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$VIGIL" sim bench/sim/full-table.json "$work/out" --full-table \
      --compression "$compression" >"$work/log"
  read -r w u s <"$work/time"
  wall[$compression]=$w
  cpu[$compression]=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
  line=$(grep '^mrt:' "$work/log")
  rib=$(sed -n 's/.* \([0-9]*\) RIB records (\([0-9]*\) entries), \([0-9]*\) update records.*/\1 \2 \3/p' <<<"$line")
  read -r rib_records rib_entries updates <<<"$rib"
  records=$((rib_records + updates))
  if [ "$compression" = none ]; then
    peers=$(sed -n 's/.* \([0-9]*\) peers$/\1/p' "$work/log")
    cp "$work"/out/mrt/rrc00/bview.* "$work/rib.raw"
  fi
  size=$(du -sm "$work/out/mrt" | cut -f1)
  echo "$compression $size" >>"$work/sizes"
done
rm -rf "$work/out"
raw_mb=$(du -m "$work/rib.raw" | cut -f1)
/usr/bin/time -f "%e %U %S" -o "$work/time" cat "$work/rib.raw" >"$work/copy"
read -r cat_wall cu cs <"$work/time"; rm -f "$work/copy"
/usr/bin/time -f "%e %U %S" -o "$work/time" gzip -1 -c "$work/rib.raw" >/dev/null
read -r gz_wall gu gs <"$work/time"

echo "sim full table: $rib_records prefixes (RIB records), $rib_entries RIB entries, $updates update records, $peers peers"
echo "  baselines on the ${raw_mb} MB uncompressed RIB: cat to a file cpu $(awk -v u="$cu" -v s="$cs" 'BEGIN{printf "%.2f", u+s}') s" \
     "wall $cat_wall s; gzip -1 cpu $(awk -v u="$gu" -v s="$gs" 'BEGIN{printf "%.2f", u+s}') s wall $gz_wall s"
for compression in none zstd gzip; do
  awk -v c="$compression" -v cpu="${cpu[$compression]}" -v w="${wall[$compression]}" -v r="$records" \
      -v size="$(awk -v c="$compression" '$1 == c { print $2 }' "$work/sizes")" \
      -v catcpu="$(awk -v u="$cu" -v s="$cs" 'BEGIN{print u+s}')" -v gzcpu="$(awk -v u="$gu" -v s="$gs" 'BEGIN{print u+s}')" 'BEGIN {
    printf "  --compression %-4s: %d MB on disk; cpu %.2f s, wall %.2f s; MRT records/s %.0f (cpu) %.0f (wall); " \
           "vs 1 M/s goal %.2f (cpu) %.2f (wall); sim cpu / cat cpu %.1f, sim cpu / gzip -1 cpu %.2f\n",
           c, size, cpu, w, r / cpu, r / w, r / cpu / 1e6, r / w / 1e6, cpu / (catcpu > 0 ? catcpu : 0.01), cpu / gzcpu;
  }'
done
