#!/usr/bin/env bash
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

# best_of N CMD...: prints the shortest wall time in seconds of N runs (output discarded).
best_of() {
  local n=$1; shift
  local best=""
  for ((i = 0; i < n; i++)); do
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    end=$(date +%s.%N)
    best=$(awk -v s="$start" -v e="$end" -v b="$best" 'BEGIN { t = e - s; if (b == "" || t < b) b = t; printf "%.4f", b }')
  done
  echo "$best"
}

bgpdump_runs=$(( RUNS < 3 ? RUNS : 3 ))
printf '%-52s %-10s %10s %10s %9s  %s\n' "file" "figure" "vigil s" "base s" "ratio" "goal"
report() {  # file figure vigil_s base_s ratio goal
  printf '%-52s %-10s %10s %10s %9s  %s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

for name in ripe-bgpdump.updates.et-header.2015.gz derived.pyasn.rib.20140523.0600.complete-records.gz \
            pyasn.rib.20140523.0600_firstMB.bz2; do
  file=$DATA/$name
  [ -f "$file" ] || { echo "missing $file"; exit 1; }
  case $name in *.bz2) decompress=bzcat ;; *) decompress=zcat ;; esac
  if [ "$name" != pyasn.rib.20140523.0600_firstMB.bz2 ]; then
    v=$(best_of "$RUNS" "$VIGIL" mrt dump -m "$file")
    b=$(best_of "$bgpdump_runs" bgpdump -q -m "$file")
    report "$name" "dump -m" "$v" "$b" "$(awk -v v="$v" -v b="$b" 'BEGIN { printf "%.1fx", b / v }')" \
      "speed-up vs bgpdump -m >= 5x"
  fi
  v=$(best_of "$RUNS" "$VIGIL" mrt stat "$file")
  z=$(best_of "$RUNS" "$decompress" "$file")
  report "$name" "stat" "$v" "$z" "$(awk -v v="$v" -v z="$z" 'BEGIN { printf "%.2f", v / z }')" \
    "time / $decompress time <= 1.3"
done
