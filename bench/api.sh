#!/usr/bin/env bash
# API throughput on loopback with wrk: /v2/signals/raw/country/XX over 30 days of 5-minute data (8,640
# points) and /v2/outages/events, each with the response cache on (default 2 s) and off; the baseline is
# /healthz measured in the same run. Goals: >= 5,000 req/s and p99 < 20 ms on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
VIGIL=${VIGIL:-$PWD/$BUILD_DIR/vigil}
WRITER=$BUILD_DIR/api_fixture_writer
DURATION=${API_BENCH_SECONDS:-5}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
[ -x "$WRITER" ] || cmake --build "$BUILD_DIR" --target api_fixture_writer >/dev/null
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$WRITER" --store "$work/bench.db" --bench-days 30

from=1640995200
until=$((from + 30 * 86400))
signals="/v2/signals/raw/country/XX?from=$from&until=$until"
events="/v2/outages/events?from=$from&until=$until"

start_server() {  # $1 = cache ttl
  "$VIGIL" serve --listen 127.0.0.1:0 --store "$work/bench.db" --cache-ttl "$1" --threads 4 >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "vigil serve did not start"; cat "$work/serve.log"; exit 1
}
stop_server() { kill -INT "$pid"; wait "$pid" || true; pid=""; }

# Prints "req/s p99_ms" for one path.
measure() {
  local out rps p99
  out=$(wrk -t2 -c16 -d"${DURATION}s" --latency "$url$1")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out")
  [ -z "$non2xx" ] || { echo "non-2xx answers for $1: $non2xx"; exit 1; }
  echo "$rps $p99"
}

report() {  # label rps p99 baseline_rps
  awk -v l="$1" -v r="$2" -v p="$3" -v b="$4" 'BEGIN {
    printf "%-34s %9.0f req/s  p99 %6.2f ms  (%.2fx of /healthz)  goal >=5000 req/s, p99 <20 ms: %s\n",
      l, r, p, r / b, (r >= 5000 && p < 20) ? "met" : "NOT met" }'
}

start_server 2
curl -sf "$url$signals" -o "$work/signals.json"
points=$(grep -o ',' "$work/signals.json" | wc -l)
echo "signals response: $(wc -c <"$work/signals.json") bytes (~$points values)"
read -r base_rps base_p99 < <(measure /healthz)
printf "%-34s %9.0f req/s  p99 %6.2f ms  (baseline)\n" "/healthz" "$base_rps" "$base_p99"
read -r rps p99 < <(measure "$signals"); report "signals 30 d, cache 2 s" "$rps" "$p99" "$base_rps"
read -r rps p99 < <(measure "$events"); report "events, cache 2 s" "$rps" "$p99" "$base_rps"
stop_server
start_server 0
read -r rps p99 < <(measure "$signals"); report "signals 30 d, no cache" "$rps" "$p99" "$base_rps"
read -r rps p99 < <(measure "$events"); report "events, no cache" "$rps" "$p99" "$base_rps"
stop_server
