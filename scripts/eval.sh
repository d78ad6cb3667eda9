#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `make eval`: runs the scenarios through sim -> ingest -> detect -> eval and prints, for scenarios/dev/
# (tuned on) and scenarios/test/ (written before tuning, never tuned on), the strict table (the headline)
# then the lenient one, and a noise sweep (strict, calibrated noise at 0.5x, 1x, 2x, 4x) over a few test
# scenarios. A scenario whose pipeline stage is missing or failing says which. Extra arguments go to every
# `vigil eval-scenario` call (e.g. --workdir DIR to keep the outputs). EVAL_SETS=dev|test|sweep (space
# separated) picks parts; default all three.
set -uo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-$PWD/${BUILD_DIR:-build}/vigil}
SETS=${EVAL_SETS:-dev test sweep}
SWEEP=(scenarios/test/iran-2019-11.json scenarios/test/myanmar-2021-nightly.json scenarios/test/cuba-2021-07.json
  scenarios/test/gabon-2019-01.json scenarios/test/quiet-ng.json)
status=0
for set in $SETS; do
  case $set in
    dev | test)
      how=$([ "$set" = test ] && echo 'written before tuning; never tuned on' || echo 'tuned on')
      echo "== scenarios/$set/ ($how)"
      "$VIGIL" eval-scenario scenarios/"$set"/*.json --both "$@" || status=$?
      echo
      ;;
    sweep)
      for scale in 0.5 1 2 4; do
        echo "== noise sweep: calibrated noise x$scale (strict; ${SWEEP[*]##*/})"
        "$VIGIL" eval-scenario "${SWEEP[@]}" --noise-scale "$scale" "$@" || status=$?
        echo
      done
      ;;
  esac
done
exit $status
