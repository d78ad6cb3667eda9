#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Prober throughput into a network namespace: probes/s sustained (counted on the far side) against the
# configured rate limit, and CPU time per 1,000 probes. Baseline: CAIDA's scamper (Debian package) pinging
# the same kind of targets at the same configured rate in the same script run.
# Needs root (network namespaces); prints "skipped" and exits 0 without it.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/${BUILD_DIR:-build}/vigil}

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v nft >/dev/null; then
  echo "probe bench skipped: needs root, ip and nft (network namespaces)"
  exit 0
fi
[ -x "$VIGIL" ] || { echo "probe bench: $VIGIL not built" >&2; exit 1; }

NS=vgb$$
WORK=$(mktemp -d /tmp/vigil-probe-bench.XXXXXX)
cleanup() {
  ip netns del ${NS}n 2>/dev/null || true
  ip netns del ${NS}f 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ip netns add ${NS}n
ip netns add ${NS}f
ip link add ${NS}a type veth peer name ${NS}b
ip link set ${NS}a netns ${NS}n
ip link set ${NS}b netns ${NS}f
ip -n ${NS}n addr add 10.77.0.1/30 dev ${NS}a
ip -n ${NS}f addr add 10.77.0.2/30 dev ${NS}b
for side in n f; do ip -n ${NS}$side link set lo up; done
ip -n ${NS}n link set ${NS}a up
ip -n ${NS}f link set ${NS}b up
# Only the far namespace answers, and only for the benchmark range.
ip -n ${NS}f route add local 198.18.0.0/15 dev lo
ip -n ${NS}n route add 198.18.0.0/15 via 10.77.0.2
ip netns exec ${NS}f sysctl -qw net.ipv4.icmp_ratelimit=0
ip netns exec ${NS}f nft -f - <<'NFT'
table inet vigilbench {
  counter echos { }
  chain input { type filter hook input priority 0; policy accept; icmp type echo-request counter name echos; }
}
NFT

echos() { ip netns exec ${NS}f nft list counter inet vigilbench echos | awk '/packets/ {print $2}'; }
now() { date +%s.%N; }

# runs COMMAND... in the near namespace in the background; samples the far counter over the steady part
# of the run; prints "far_rate total_probes wall_s cpu_s"
measure() {
  local window=$1; shift
  local c0 c1 c2 t1 t2 pid
  c0=$(echos)
  local start; start=$(now)
  /usr/bin/time -f "%U %S" -o "$WORK/time" ip netns exec ${NS}n "$@" >"$WORK/out" 2>&1 &
  pid=$!
  sleep 1
  t1=$(now); c1=$(echos)
  sleep "$window"
  t2=$(now); c2=$(echos)
  wait $pid
  local end; end=$(now)
  local cpu; cpu=$(awk '{print $1 + $2}' "$WORK/time")
  echo "$(echo "($c2 - $c1) / ($t2 - $t1)" | bc -l) $(( $(echos) - c0 )) $(echo "$end - $start" | bc -l) $cpu"
}

printf "%-28s %10s %12s %9s %10s %12s\n" "run" "configured" "far probes/s" "ratio" "probes" "CPU ms/1000"

# Baseline: scamper, one ping to each address of 64 /24s, at the rate we configure for Vigil.
python3 -c "
for b in range(64):
    for h in range(256): print(f'198.18.{b}.{h}')" >"$WORK/targets"
base_cpu_per_k=""
if command -v scamper >/dev/null; then
  read -r rate total wall cpu < <(measure 1 scamper -p 10000 -w 10000 -c "ping -c 1" -O json \
    -o "$WORK/scamper.json" -f "$WORK/targets")
  base_cpu_per_k=$(echo "$cpu * 1000000 / $total" | bc -l)
  printf "%-28s %10d %12.0f %9.3f %10d %12.2f\n" "scamper ping -c 1 (baseline)" 10000 "$rate" \
    "$(echo "$rate / 10000" | bc -l)" "$total" "$base_cpu_per_k"
fi

# Vigil: a census of every address of 198.18.0.0/15 (131,072 probes) at increasing configured rates.
for configured in 10000 20000 40000; do
  expected=$(echo "131072 / $configured" | bc -l)
  window=$(echo "w = $expected - 2.2; if (w < 0.5) w = 0.5; w" | bc -l)
  read -r rate total wall cpu < <(measure "$window" "$VIGIL" probe hitlist --blocks 198.18.0.0/15 --rate "$configured" \
    --timeout-ms 1000 --fresh --out "$WORK/hitlist.txt")
  cpu_per_k=$(echo "$cpu * 1000000 / $total" | bc -l)
  printf "%-28s %10d %12.0f %9.3f %10d %12.2f\n" "vigil census" "$configured" "$rate" \
    "$(echo "$rate / $configured" | bc -l)" "$total" "$cpu_per_k"
  if [ -n "$base_cpu_per_k" ]; then
    cpu_ratio=$(printf %.3f "$(echo "$cpu_per_k / $base_cpu_per_k" | bc -l)")
    own_log=$(grep -o 'run rate [0-9.]* probes/s' "$WORK/out" || true)  # empty if the run logged no rate
    printf "%-28s %s\n" "" "CPU per 1000 probes vs scamper baseline: ${cpu_ratio}x; own log: $own_log"
  fi
done
