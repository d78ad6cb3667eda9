#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# make demo: ingest the bundled real MRT files, simulate and ingest the Kazakhstan January 2022 scenario with its
# annotations, import the real #KeepItOn reports for Kazakhstan 2022, run detection, then serve the API and dashboard
# on 127.0.0.1:8080 until Ctrl-C. DEMO_PREPARE_ONLY=1 stops after detection (tests build the demo's store that way,
# with VAR_DIR and STORE in a temporary folder).
# Every stage is idempotent (ingest skips inputs whose sha256 is already stored), so a second run starts in seconds.
# Honesty: the Kazakhstan data is a SIMULATED scenario built from public reporting, not a measurement; the
# bundled MRT files are a real but old observed snapshot (RouteViews RIB 2014, RIS updates 2015). Every URL printed
# below says which of the two it shows.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
VIGIL=${VIGIL:-$PWD/$BUILD_DIR/vigil}
VAR_DIR=${VAR_DIR:-var}
STORE=${STORE:-$VAR_DIR/vigil.db}
LISTEN=${LISTEN:-127.0.0.1:8080}
SCENARIO=scenarios/dev/kz-2022-01.json
SIM_DIR=$VAR_DIR/sim/kz
KEEPITON=data/keepiton/2022.csv
mkdir -p "$VAR_DIR"

[ -x "$VIGIL" ] || { echo "demo: $VIGIL is missing; run 'make build' first"; exit 1; }
step() { printf '\n== %s\n' "$*"; }
note() { printf '   note: %s\n' "$*"; }
timed() { local t0=$SECONDS; "$@"; echo "   ($((SECONDS - t0)) s)"; }

# A store filled before Vigil recorded provenance cannot say which of its numbers are simulated: start afresh.
if [ -f "$STORE" ] && "$VIGIL" store info --store "$STORE" 2>/dev/null | grep -q '^unrecorded '; then
  note "$STORE predates provenance records (it cannot say what is simulated): moved to $STORE.pre-provenance"
  mv "$STORE" "$STORE.pre-provenance"
  rm -f "$STORE-wal" "$STORE-shm" "$VAR_DIR/.demo-real-mrt" "$VAR_DIR/.demo-detected"
fi

step "real BGP data: data/mrt/ (RouteViews RIB 2014, RIS updates 2015)"
real_stamp=$(cat data/mrt/*.gz | sha256sum)
if [ -f "$VAR_DIR/.demo-real-mrt" ] && [ "$(cat "$VAR_DIR/.demo-real-mrt")" = "$real_stamp" ]; then
  echo "   already ingested"
else
  # The bundled RIB is the first MB of a full one: a peer counts as full-feed when it holds at least half as many
  # prefixes as the largest peer table (IODA's absolute 400,000 needs complete tables).
  if timed "$VIGIL" ingest mrt --store "$STORE" --full-feed-fraction 0.5 data/mrt; then
    echo "$real_stamp" > "$VAR_DIR/.demo-real-mrt"
  else
    note "ingest of the real MRT files failed (see above); continuing"
  fi
fi

step "SIMULATE $SCENARIO -> $SIM_DIR (simulated scenario built from public reporting, not a measurement)"
if [ -f "$SIM_DIR/truth.json" ] && [ "$SIM_DIR/truth.json" -nt "$SCENARIO" ] &&
  [ "$SIM_DIR/truth.json" -nt "$VIGIL" ]; then
  echo "   up to date"
else
  timed "$VIGIL" sim "$SCENARIO" "$SIM_DIR"
fi

if [ -d "$SIM_DIR/mrt" ]; then
  # One store holds both on purpose, hence --allow-simulated (ingest refuses to mix them otherwise): the demo shows
  # the scenario beside the observed snapshot, each labelled as what it is. The store keeps them apart underneath:
  # every point, input, alert and event carries its provenance, a simulated point never replaces an observed one,
  # and the scenario's names and /24 counts for real entities (country/KZ, AS9198) go to the simulated namespace
  # instead of overwriting the observed ones (docs/store.md "Provenance"). A user who wants no mixing at all gives
  # the simulation its own STORE.
  step "ingest the SIMULATED scenario's MRT files"
  full_feed=$(grep -o '"full_feed_min_prefixes": *[0-9]*' "$SIM_DIR/sim-config.json" 2>/dev/null |
    grep -o '[0-9]*$' || true)
  full_feed_v6=$(grep -o '"full_feed_min_prefixes_v6": *[0-9]*' "$SIM_DIR/sim-config.json" 2>/dev/null |
    grep -o '[0-9]*$' || true)
  timed "$VIGIL" ingest mrt --allow-simulated --store "$STORE" --geo "$SIM_DIR/geo" \
    ${full_feed:+--full-feed-min "$full_feed"} \
    ${full_feed_v6:+--full-feed-min-v6 "$full_feed_v6"} "$SIM_DIR/mrt"
  step "ingest the SIMULATED scenario's probe rounds"
  # One line per round file is too much for a terminal: keep the summary.
  timed bash -c '"$0" ingest probe --allow-simulated --store "$1" --geo "$2/geo" "$2/probe" | tail -n 1' \
    "$VIGIL" "$STORE" "$SIM_DIR"
  step "import the SIMULATED scenario's annotations (states of emergency)"
  if [ -f "$SIM_DIR/annotations.json" ]; then
    "$VIGIL" annotations import --store "$STORE" "$SIM_DIR/annotations.json"
  else
    note "no annotations imported: $SIM_DIR/annotations.json is missing"
  fi
fi

step "import the REAL reported shutdowns: $KEEPITON (Access Now #KeepItOn STOP data, Kazakhstan rows of 2022; imported)"
# The two Kazakhstan rows of the 2022 sheet, cell text unchanged (ATTRIBUTION): January's shutdown and the November
# election period. Re-running adds nothing.
"$VIGIL" annotations import --store "$STORE" --format keepiton "$KEEPITON"

step "detect outages, classify them, infer curfew schedules"
# Detection reruns only when the store holds new inputs or series since the last run.
stamp=$("$VIGIL" store info --store "$STORE" 2>/dev/null | grep -E '^(series|inputs|annotations) ' || true)
if [ -n "$stamp" ] && [ -f "$VAR_DIR/.demo-detected" ] && [ "$(cat "$VAR_DIR/.demo-detected")" = "$stamp" ]; then
  echo "   no new inputs since the last detection: kept its results"
else
  timed "$VIGIL" detect --store "$STORE" && echo "$stamp" > "$VAR_DIR/.demo-detected"
fi

[ "${DEMO_PREPARE_ONLY:-}" = 1 ] && exit 0

url="http://$LISTEN"
cat <<INFO

== Vigil is starting on $url  (Ctrl-C stops it)
   Every Kazakhstan signal and event below is a SIMULATED scenario built from public reporting, not a measurement;
   the only observed data in this store is the bundled 2014/2015 MRT snapshot (RouteViews RIB, RIS updates); the
   reported shutdowns are real records IMPORTED from Access Now's #KeepItOn STOP data (cite accessnow.org/keepiton).
   Kazakhstan map, 4-13 Jan 2022 (simulated):   $url/?view=map&country=KZ&from=1641254400&until=1642032000&tz=utc
   Almaty charts (simulated):                    $url/?view=entity&entity=region/KZ-ALA&from=1641254400&until=1642032000&tz=utc
   Detected events on the simulated data:        $url/?view=events&country=KZ&sort=score&from=1641254400&until=1642032000&tz=utc
   IODA-compatible API (simulated KZ events):    $url/v2/outages/events?from=1641254400&until=1642032000&entityType=country&entityCode=KZ
   Measured vs reported, KZ 2022 (real #KeepItOn reports beside the SIMULATED events):
     $url/?view=reported&country=KZ&from=1640995200&until=1672531200&tz=utc
   The same table from the API (JSON, CSV):
     $url/api/v1/measured-vs-reported?country=KZ&from=1640995200&until=1672531200
     $url/api/v1/measured-vs-reported?country=KZ&from=1640995200&until=1672531200&format=csv
   API description:                              $url/openapi.json
INFO
exec "$VIGIL" serve --listen "$LISTEN" --store "$STORE"
