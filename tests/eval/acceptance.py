#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Strict-score guard (issue 18 item 7): runs a small subset of scenarios/dev/ through `vigil eval-scenario`
and fails when a strict figure falls below the acceptance of issue 18: event precision and recall >= 0.90,
bin IoU >= 0.85, median start and end error <= 1 bin, latency p95 <= 2 bins after the data arrived, no false
routing event in a collector gap, schedule error <= 10 min. The subset holds dev scenarios that meet the
acceptance today (block-only, daily-curfew), so that the scores cannot silently rot; scenarios that do not
meet it yet are in the make eval tables, not here.

usage: acceptance.py VIGIL [SCENARIO...]
"""
import json
import os
import subprocess
import sys

BIN_S = {"withdraw": 300, "block": 600, "throttle": 600}


def check(row):
    s = row["strict"]
    problems = []

    def at_least(name, value, floor):
        if value is None or value < floor:
            problems.append(f"{name} {value} < {floor}")

    def at_most(name, value, ceiling):
        if value is not None and value > ceiling:
            problems.append(f"{name} {value} > {ceiling}")

    if s["truth_counted"]:
        at_least("precision", s["precision"], 0.90)
        at_least("recall", s["recall"], 0.90)
        at_least("bin_iou", s["bin_iou"], 0.85)
    for kind, k in s["by_kind"].items():
        if k["truth"]:
            at_least(f"{kind} precision", k["precision"], 0.90)
            at_least(f"{kind} recall", k["recall"], 0.90)
            at_most(f"{kind} start_error_s_p50", k["start_error_s_p50"], BIN_S[kind])
            at_most(f"{kind} end_error_s_p50", k["end_error_s_p50"], BIN_S[kind])
            at_most(f"{kind} latency_s_p95", k["latency_s_p95"], 2 * BIN_S[kind])
    if s["false_outages_in_gaps"]:
        problems.append(f"false_outages_in_gaps {s['false_outages_in_gaps']}")
    at_most("schedule_error_min", s["schedule_error_min"], 10)
    if s["schedules"] and s["schedules_found"] < s["schedules"]:
        problems.append(f"schedules found {s['schedules_found']}/{s['schedules']}")
    return problems


def main():
    vigil = sys.argv[1]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    scenarios = sys.argv[2:] or [os.path.join(root, "scenarios", "dev", n) for n in ("block-only.json",
                                                                                      "daily-curfew.json")]
    run = subprocess.run([vigil, "eval-scenario", "--json", *scenarios], capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout, run.stderr, sep="\n")
        print(f"FAIL: vigil eval-scenario exited {run.returncode}")
        return 1
    failed = False
    rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    if len(rows) != len(scenarios):
        print(f"FAIL: {len(rows)} results for {len(scenarios)} scenarios")
        return 1
    for row in rows:
        problems = check(row)
        s = row["strict"]
        print(f"{row['scenario']}: P {s['precision']} R {s['recall']} IoU {s['bin_iou']} "
              f"start {s['start_error_s_p50']} s end {s['end_error_s_p50']} s lat95 {s['latency_s_p95']} s -> "
              f"{'FAIL: ' + '; '.join(problems) if problems else 'ok'}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
