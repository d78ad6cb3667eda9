#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Acquisition benchmarks, as ratios against a baseline measured in the same run:
#   vigil fetch  vs  curl --parallel  of the same files from the project's loopback test archive
#   (tests/acquire/archive_server.py serving the real MRT files of ../shared/data/mrt under RIS and RouteViews
#   names), throughput ratio = curl's wall time / vigil's wall time (goal >= 0.9x). vigil's time includes
#   discovery (reading the folder listings) and verification (full decompression + atomic rename of every
#   file); curl's only writes the bytes. Two links:
#     paced:   each connection limited to RATE bytes/s by the server (a network-bound link, as the real archives
#              are from most places) — the goal applies here;
#     unpaced: loopback at full speed (CPU-bound: shows what verification costs when the network is free).
# Then sustained ingest against the real-time need (issue 17): `vigil ingest mrt` of 1,000,000 updates in
#   twelve 5-minute files (bench/signals.sh's generated world: 900,000 prefixes x 24 full-feed peers, its RIB
#   ingested first and not timed), pinned to one core, in routing elements per CPU second, against what every
#   active RIS and RouteViews collector of data/collectors.tsv produces in real time. Each collector is taken
#   to produce as many elements per second as the busiest real 5-minute update file we hold (RIS, 2016-08-11
#   16:00, 40 peers: elements counted by `vigil mrt stat` in this run) — RouteViews' real files are smaller,
#   so this overstates their need. Today's collectors carry more peers than in 2016: with LISTING=FILE (the
#   output of `vigil fetch --list-only --types updates` over all collectors for one day, run where the
#   archives are reachable) the need is today's listed bytes per day / the real file's bytes per element.
#   Goal: >= 20x real time on one core.
# Then the detection latency of `vigil run` on a replayed simulated scenario (bench/run_latency.py): from the
#   archive listing the files that close a bin to the event detected from it being in /v2/outages/events,
#   p50 / p95 (goal: p95 <= one poll interval + one bin's ingest time).
# Then RIS Live replay: withdrawal -> alert visible (bench/rislive_latency.py): a simulated scenario's updates
#   after 09:55 sent as ris_message frames by the loopback replay server at RIS_LIVE_SPEED x (default 600),
#   five withdrawals at different offsets into their bins; latency = the wait for the bin's end + grace (set by
#   the 5-minute bins, the same at any speed) + the measured wall time to write, detect and show the alert.
#   Goal: <= 60 s.
# Env: VIGIL, SHARED_DIR, JOBS (default 4), COPIES (extra update files per collector, default 60),
#      RATE (bytes/s per connection, default 1500000), RUNS (best of, default 3), LISTING (above).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/${BUILD_DIR:-build}/vigil}
SHARED_DIR=${SHARED_DIR:-$(cd .. && pwd)/shared}
JOBS=${JOBS:-4}
COPIES=${COPIES:-60}
RATE=${RATE:-1500000}
RUNS=${RUNS:-3}
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2> /dev/null || true; wait "$server_pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s%N; }
seconds() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f", (e - s) / 1e9 }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# start_server [--rate R]: starts the archive and sets $base.
start_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid"; wait "$server_pid" 2> /dev/null || true; fi
  python3 tests/acquire/archive_server.py --shared "$SHARED_DIR" --copies "$COPIES" "$@" > "$work/port" &
  server_pid=$!
  for _ in $(seq 100); do grep -q '^port ' "$work/port" 2> /dev/null && break; sleep 0.05; done
  base="http://127.0.0.1:$(awk '/^port/ { print $2 }' "$work/port")"
}

fetch_args() {
  echo --collectors rrc00,rrc25,route-views2,route-views.jinx --from 2022-01-04 --until 2022-01-05 \
    --types updates,ribs --jobs "$JOBS" --archive-url "ris=$base/ris/,routeviews=$base/routeviews/"
}

# measure LABEL: best-of-RUNS wall time of vigil fetch and of curl --parallel over the same URLs.
measure() {
  local label=$1 best_vigil="" best_curl="" s e
  # shellcheck disable=SC2046
  "$VIGIL" fetch $(fetch_args) --cache "$work/list" --report "$work/report.tsv" > /dev/null
  awk -F'\t' 'NR > 1 { print $5 }' "$work/report.tsv" > "$work/urls"
  local files bytes
  files=$(wc -l < "$work/urls")
  bytes=$(awk -F'\t' 'NR > 1 { s += $7 } END { print s }' "$work/report.tsv")
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$work/vigil" "$work/curl"
    s=$(now)
    # shellcheck disable=SC2046
    "$VIGIL" fetch $(fetch_args) --cache "$work/vigil" > "$work/vigil.out"
    e=$(now)
    if ! grep -q " $files verified" "$work/vigil.out"; then
      echo "vigil fetch did not verify all $files files" >&2
      cat "$work/vigil.out" >&2
      exit 1
    fi
    best_vigil=$(min "$(seconds "$s" "$e")" "$best_vigil")
    mkdir -p "$work/curl"
    (cd "$work/curl" && awk '{ printf "url = \"%s\"\noutput = \"%d\"\n", $0, NR }' "$work/urls" > ../curl.conf)
    s=$(now)
    (cd "$work/curl" && curl --silent --no-progress-meter --fail --parallel --parallel-max "$JOBS" \
      --config ../curl.conf)
    e=$(now)
    best_curl=$(min "$(seconds "$s" "$e")" "$best_curl")
  done
  awk -v l="$label" -v f="$files" -v b="$bytes" -v v="$best_vigil" -v c="$best_curl" -v j="$JOBS" 'BEGIN {
    printf "fetch %-8s %d files, %.1f MB, %d jobs: vigil fetch %.2f s (%.1f MB/s, verified), " \
           "curl --parallel %.2f s (%.1f MB/s): throughput ratio %.2fx\n",
      l, f, b / 1e6, j, v, b / 1e6 / v, c, b / 1e6 / c, c / v }'
}

start_server --rate "$RATE"
measure paced
start_server
measure unpaced
echo "(goal: paced ratio >= 0.9x; RATE=$RATE bytes/s per connection, best of $RUNS)"

# ----- sustained ingest vs the real-time need of every collector -----------------------------------------
BUILD_DIR=${BUILD_DIR:-build}
# shellcheck source=bench/lib/world.sh
source bench/lib/world.sh
DATA=$PWD/$BUILD_DIR/bench-data/signals-full
world "$DATA" --prefixes 900000 --peers 24 --updates 1000000 --files 12
rib=("$DATA"/mrt/rrc00/bview.*)
updates=("$DATA"/mrt/rrc00/updates.*)
elements() {  # elements FILE... -> routing elements (RIB entries, announcements, withdrawals, state changes)
  "$VIGIL" mrt stat "$@" | awk '/^elements:/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); s += kv[2] } }
    END { print s }'
}
"$VIGIL" ingest mrt --store "$work/realtime.db" --geo "$DATA/geo" "${rib[@]}" > /dev/null
/usr/bin/time -f "%e %U %S" -o "$work/realtime.time" taskset -c 0 \
  "$VIGIL" ingest mrt --store "$work/realtime.db" --geo "$DATA/geo" "${updates[@]}" > "$work/realtime.out"
update_elements=$(elements "${updates[@]}")
real_file=$SHARED_DIR/data/mrt/ripe-bgpdump.updates.20160811.1600.gz
real_elements=$(elements "$real_file")
real_bytes=$(stat -c %s "$real_file")
active=$(grep -v '^#' data/collectors.tsv | awk -F'\t' 'NR > 1 && $7 == "-"' | wc -l)
if [ -n "${LISTING:-}" ]; then
  listed_per_day=$(awk -F'\t' '$2 == "updates" { split($5, r, "-"); s += (r[2] != "" ? r[2] : r[1]) } END { print s }' \
    "$LISTING")
  need=$(awk -v b="$listed_per_day" -v rb="$real_bytes" -v re="$real_elements" 'BEGIN { print b / 86400 / (rb / re) }')
  need_how="today's listing ($LISTING): $listed_per_day update bytes per day / $(awk -v rb="$real_bytes" \
    -v re="$real_elements" 'BEGIN { printf "%.2f", rb / re }') bytes per element"
else
  need=$(awk -v n="$active" -v e="$real_elements" 'BEGIN { print n * e / 300 }')
  need_how="$active active collectors x $real_elements elements per 5 minutes (${real_file##*/})"
fi
read -r r_wall r_user r_sys < "$work/realtime.time"
awk -v e="$update_elements" -v w="$r_wall" -v u="$r_user" -v s="$r_sys" -v need="$need" -v how="$need_how" 'BEGIN {
  cpu = u + s
  printf "ingest    %d update elements in 12 five-minute files on one core: " \
    "%.2f s CPU (%.2f s wall), %.0f elements/s CPU\n", e, cpu, w, e / cpu
  printf "need      %.0f elements/s in real time: %s\n", need, how
  printf "ratio sustained ingest / real-time need: %.1fx on one core (goal >= 20x)\n", e / cpu / need
}'

# ----- detection latency of vigil run (bench/run_latency.py says how it is measured) ---------------------
python3 bench/run_latency.py "$VIGIL" "$PWD"

# ----- RIS Live replay: withdrawal -> alert visible -------------------------------------------------------
python3 bench/rislive_latency.py "$VIGIL" "$PWD" "${RIS_LIVE_SPEED:-600}"
