#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# MRT reader benchmarks, as ratios against baselines measured in the same run (best-of-N wall time):
#   vigil mrt dump -m  vs  bgpdump -m        (speed-up; goal >= 5x)
#   vigil mrt stat     vs  zcat / bzcat      (time ratio; goal <= 1.3: decoding costs little beyond inflating)
# Env: VIGIL (vigil binary), SHARED_DIR (../shared), RUNS (default 5; bgpdump gets min(RUNS,3)).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/${BUILD_DIR:-build}/vigil}
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
RUNS=${RUNS:-5}
DATA=$SHARED_DIR/data/mrt

# best_of N CMD...: prints "WALL CPU" — the shortest wall time and the shortest CPU time (user + system,
# all threads) in seconds over N runs, output discarded. On a shared machine the CPU figure is the steadier
# one; vigil's wall time also gains from decoding on a second thread while the first inflates.
best_of() {
  local n=$1; shift
  local best_wall="" best_cpu="" t wall cpu start end
  t=$(mktemp)
  for ((i = 0; i < n; i++)); do
    start=$(date +%s%N)
    if command -v perf > /dev/null 2>&1; then
      # task-clock: CPU time of all threads, to the microsecond.
      perf stat -x, -e task-clock -o "$t" "$@" > /dev/null 2>&1 || true
      cpu=$(awk -F, '/task-clock/ { printf "%.4f", $1 / 1000 }' "$t")
    else
      /usr/bin/time -f "%U %S" -o "$t" "$@" > /dev/null 2>&1 || true
      cpu=$(tail -1 "$t" | awk '{ printf "%.4f", $1 + $2 }')
    fi
    end=$(date +%s%N)
    wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", (e - s) / 1e9 }')
    best_wall=$(awk -v t="$wall" -v b="$best_wall" 'BEGIN { if (b == "" || t < b) b = t; print b }')
    best_cpu=$(awk -v t="$cpu" -v b="$best_cpu" 'BEGIN { if (b == "" || t < b) b = t; print b }')
  done
  rm -f "$t"
  echo "$best_wall $best_cpu"
}

bgpdump_runs=$(( RUNS < 3 ? RUNS : 3 ))
printf '%-52s %-8s %-5s %9s %9s %8s  %s\n' "file" "figure" "time" "vigil s" "base s" "ratio" "goal"
report() {  # file figure vigil(wall cpu) base(wall cpu) kind(speedup|ratio) goal
  local file=$1 figure=$2 vw=$3 vc=$4 bw=$5 bc=$6 kind=$7 goal=$8
  for which in wall cpu; do
    local v b r
    if [ $which = wall ]; then v=$vw b=$bw; else v=$vc b=$bc; fi
    if [ "$kind" = speedup ]; then
      r=$(awk -v v="$v" -v b="$b" 'BEGIN { if (v > 0) printf "%.1fx", b / v; else print "inf" }')
    else
      r=$(awk -v v="$v" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", v / b; else print "n/a" }')
    fi
    printf '%-52s %-8s %-5s %9s %9s %8s  %s\n' "$file" "$figure" "$which" "$v" "$b" "$r" "$goal"
  done
}

for name in ripe-bgpdump.updates.et-header.2015.gz derived.pyasn.rib.20140523.0600.complete-records.gz \
            pyasn.rib.20140523.0600_firstMB.bz2; do
  file=$DATA/$name
  [ -f "$file" ] || { echo "missing $file"; exit 1; }
  case $name in *.bz2) decompress=bzcat ;; *) decompress=zcat ;; esac
  if [ "$name" != pyasn.rib.20140523.0600_firstMB.bz2 ]; then
    read -r vw vc < <(best_of "$RUNS" "$VIGIL" mrt dump -m "$file")
    read -r bw bc < <(best_of "$bgpdump_runs" bgpdump -q -m "$file")
    report "$name" "dump -m" "$vw" "$vc" "$bw" "$bc" speedup "vigil vs bgpdump -m: >= 5x faster"
  fi
  read -r vw vc < <(best_of "$RUNS" "$VIGIL" mrt stat "$file")
  read -r zw zc < <(best_of "$RUNS" "$decompress" "$file")
  report "$name" "stat" "$vw" "$vc" "$zw" "$zc" ratio "vigil stat / $decompress: <= 1.3"
done
