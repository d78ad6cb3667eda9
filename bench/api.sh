#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# API throughput on loopback with wrk: /v2/signals/raw/country/XX over 30 days of 5-minute data (8,640
# points) and /v2/outages/events, each with the response cache on (default 2 s) and off; the baseline is
# /healthz measured in the same run. Goals: >= 5,000 req/s and p99 < 20 ms on 2 cores. Besides req/s (which
# on a shared machine mostly measures the machine's load), it prints the server's CPU time per request
# (utime + stime of the vigil process over the run / requests answered), which the load moves much less.
# Then a connection flood: wrk holds 2,000 connections from 127.0.0.1 while a separate client (curl from
# 127.0.0.2, its own rate-limit bucket) makes 200 requests one after the other; once with rate limiting off
# (goal: >= 50 % of the 16-connection throughput, the client's p99 < 100 ms, the server's peak RSS stated) and
# once with --rate-limit 100 (the flooding address gets 429s, the client still its 200s).
# Rate limiting is off (--rate-limit 0) for the throughput runs: wrk is one client.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
VIGIL=${VIGIL:-$PWD/$BUILD_DIR/vigil}
WRITER=$BUILD_DIR/api_fixture_writer
DURATION=${API_BENCH_SECONDS:-5}
CONNECTIONS=16
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

start_server() {  # $1 = cache ttl, $2 = rate limit (default 0 = off)
  "$VIGIL" serve --listen 127.0.0.1:0 --store "$work/bench.db" --cache-ttl "$1" --rate-limit "${2:-0}" \
    --threads "${API_BENCH_THREADS:-4}" >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "vigil serve did not start"; cat "$work/serve.log"; exit 1
}
stop_server() { kill -INT "$pid"; wait "$pid" || true; pid=""; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# Prints "req/s p99_ms cpu_us_per_request" for one path.
measure() {
  local out rps p99 t0 t1 n errors
  t0=$(cpu_ticks)
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url$1")
  t1=$(cpu_ticks)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)}
    else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out")
  [ -z "$non2xx" ] || { echo "non-2xx answers for $1: $non2xx"; exit 1; }
  errors=$(awk '/Socket errors/ {print $0}' <<<"$out")
  [ -z "$errors" ] || echo "wrk for $1: $errors" >&2
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  awk -v r="$rps" -v p="$p99" -v t="$((t1 - t0))" -v n="$n" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%s %s %.0f\n", r, p, (n > 0 ? t * 1e6 / hz / n : 0) }'
}

report() {  # label rps p99 cpu_us baseline_rps baseline_cpu_us
  awk -v l="$1" -v r="$2" -v p="$3" -v c="$4" -v b="$5" -v bc="$6" 'BEGIN {
    printf "%-26s %7.0f req/s (%.2fx of /healthz)  p99 %6.2f ms  cpu %5.0f us/req (%.2fx)  " \
      "goal >=5000 req/s, p99 <20 ms: %s\n",
      l, r, r / b, p, c, c / bc, (r >= 5000 && p < 20) ? "met" : "NOT met" }'
}

start_server 2
curl -sf "$url$signals" -o "$work/signals.json"
points=$(grep -o ',' "$work/signals.json" | wc -l)
echo "signals response: $(wc -c <"$work/signals.json") bytes (~$points values)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r base_rps base_p99 base_cpu < <(measure /healthz)
printf "%-26s %7.0f req/s (baseline)       p99 %6.2f ms  cpu %5.0f us/req (baseline)\n" \
  "/healthz" "$base_rps" "$base_p99" "$base_cpu"
read -r rps p99 cpu < <(measure "$signals")
report "signals 30 d, cache 2 s" "$rps" "$p99" "$cpu" "$base_rps" "$base_cpu"
read -r rps p99 cpu < <(measure "$events"); report "events, cache 2 s" "$rps" "$p99" "$cpu" "$base_rps" "$base_cpu"
stop_server
start_server 0
read -r rps p99 cpu < <(measure "$signals")
report "signals 30 d, no cache" "$rps" "$p99" "$cpu" "$base_rps" "$base_cpu"
read -r rps p99 cpu < <(measure "$events"); report "events, no cache" "$rps" "$p99" "$cpu" "$base_rps" "$base_cpu"
stop_server

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FLOOD=${API_BENCH_FLOOD:-2000}
# Prints "p50_ms p99_ms codes" for 200 sequential requests from 127.0.0.2.
polite_client() {
  for _ in $(seq 200); do
    curl -s -o /dev/null --interface 127.0.0.2 -w '%{time_total} %{http_code}\n' "$url$events" || echo "9.999 000"
    sleep 0.02
  done | sort -n | awk '{t[NR] = $1 * 1000; c[$2]++} END {
    codes = ""; for (k in c) codes = codes k "x" c[k] " "
    printf "%.1f %.1f %s\n", t[int(NR * 0.5)], t[int(NR * 0.99)], codes }'
}
flood() {  # $1 = label; prints the flood's throughput, its non-2xx count, the polite client's latency, peak RSS
  local out rps non2xx polite
  wrk -t2 -c"$FLOOD" -d10s --timeout 5s "$url$events" >"$work/flood.txt" 2>&1 &
  local wrk_pid=$!
  sleep 1
  polite=$(polite_client)
  wait "$wrk_pid" || true
  out=$(cat "$work/flood.txt")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  read -r p50 p99 codes <<<"$polite"
  awk -v l="$1" -v r="$rps" -v b="$flood_base" -v n="${non2xx:-0}" -v p50="$p50" -v p99="$p99" -v c="$codes" \
    -v rss="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")" -v errors="$(awk '/Socket errors/' <<<"$out")" 'BEGIN {
    printf "%-26s %7.0f req/s (%.2fx of 16 connections), %s non-2xx; " \
      "client from 127.0.0.2: p50 %.1f ms, p99 %.1f ms (%s); peak RSS %.0f MB %s\n",
      l, r, r / b, n, p50, p99, c, rss / 1024, errors }'
}
start_server 2 0
read -r flood_base _ _ < <(measure "$events")
printf "%-26s %7.0f req/s (flood baseline)\n" "events, 16 connections" "$flood_base"
flood "events, $FLOOD connections"
stop_server
start_server 2 100
flood "same, --rate-limit 100"
stop_server
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
