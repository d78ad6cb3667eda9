#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""kill -9 at different points of every stage that writes the store, then restart, compared with an
uninterrupted run of the same pipeline on the same simulated world.

Stages: `vigil ingest mrt`, `vigil ingest probe`, `vigil detect`, `vigil serve --detect` (which also answers
API requests while it is killed). Each stage is started and killed with SIGKILL after a delay drawn from a
spread of fractions of its uninterrupted duration (measured first, in this run, so a slow machine just
stretches the delays), several times in a row; then it runs to the end. After every kill:
- `PRAGMA integrity_check` is ok;
- every committed input row is one of the reference run's rows, and nothing of an uncommitted input is in:
  the probe series hold exactly the reference rows of the committed rounds, the BGP series are reference
  rows only, and detection results (alerts, events, schedules) are exactly either the state before the stage
  or the reference state after it.
At the end the whole store (series, inputs, ingest state, alerts, events, schedules; ids left out) equals
the uninterrupted run's."""
import argparse
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PROBE_DATASOURCES = ('ping-slash24', 'rtt-p50', 'loss')
DETECTION = ('alerts', 'events', 'schedules')


class Pipeline:
    def __init__(self, vigil, world):
        self.vigil = vigil
        self.world = world

    def command(self, stage, db):
        geo = os.path.join(self.world, 'geo')
        if stage == 'ingest-mrt':
            return [self.vigil, 'ingest', 'mrt', '-q', '--store', db, '--geo', geo, os.path.join(self.world, 'mrt')]
        if stage == 'ingest-probe':
            return [self.vigil, 'ingest', 'probe', '--store', db, '--geo', geo, os.path.join(self.world, 'probe')]
        if stage == 'detect':
            return [self.vigil, 'detect', '--store', db]
        if stage == 'serve-detect':
            return [self.vigil, 'serve', '--listen', '127.0.0.1:0', '--store', db, '--detect',
                    '--detect-interval', '0.5']
        raise ValueError(stage)

    def start(self, stage, db):
        out = subprocess.PIPE if stage == 'serve-detect' else subprocess.DEVNULL
        return subprocess.Popen(self.command(stage, db), stdout=out, stderr=subprocess.DEVNULL, text=True)

    def run_to_end(self, stage, db):
        """Runs a stage uninterrupted; returns its duration. `serve --detect` ends once its first detection
        poll has written (it prints a line then) and it is stopped with SIGTERM."""
        start = time.monotonic()
        proc = self.start(stage, db)
        if stage != 'serve-detect':
            rc = proc.wait(timeout=900)
            if rc != 0:
                common.fail('%s exited %d' % (' '.join(self.command(stage, db)), rc))
            return time.monotonic() - start
        lines = []
        while True:
            line = proc.stdout.readline()
            if not line:
                common.fail('serve --detect ended before a detection poll: %s' % ''.join(lines))
            lines.append(line)
            if line.startswith('vigil serve: detect:'):
                break
        elapsed = time.monotonic() - start
        proc.terminate()
        proc.wait(timeout=120)
        proc.stdout.close()
        return elapsed


def hammer(port_holder, stop):
    """API requests against the serve being killed (reads only: they must not matter to the store)."""
    paths = ['/v2/outages/events?from=1680000000&until=1690000000', '/v2/signals/raw/region/XB-E?from=1681084800'
             '&until=1681430400', '/api/v1/status', '/healthz']
    i = 0
    while not stop.is_set():
        port = port_holder[0]
        if port:
            try:
                urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, paths[i % len(paths)]), timeout=5).read()
            except OSError:
                pass
            i += 1
        else:
            time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vigil', required=True)
    ap.add_argument('--source', required=True)
    ap.add_argument('--scenario', default='scenarios/dev/single-region.json')
    ap.add_argument('--kills', default='ingest-mrt=8,ingest-probe=6,detect=5,serve-detect=5')
    ap.add_argument('--seed', type=int, default=int(time.time()))
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    rng = random.Random(args.seed)
    kills = [(k, int(v)) for k, v in (item.split('=') for item in args.kills.split(','))]

    directory = common.work_dir('crash-loop')
    world = os.path.join(directory, 'world')
    common.run(args.vigil, 'sim', os.path.join(args.source, args.scenario), world)
    pipeline = Pipeline(args.vigil, world)

    # The uninterrupted run: durations per stage and the store after each.
    reference = os.path.join(directory, 'reference.db')
    durations = {}
    after = {}
    for stage, _ in kills:
        durations[stage] = pipeline.run_to_end(stage, reference)
        after[stage] = common.dump(reference)
    ref = after[kills[-1][0]]
    print('reference run: ' + ', '.join('%s %.2f s' % (s, d) for s, d in durations.items()) +
          '; %d series rows, %d inputs, %d alerts, %d events, %d schedules' % (
              len(ref['series']), len(ref['inputs']), len(ref['alerts']), len(ref['events']),
              len(ref['schedules'])), flush=True)
    ref_inputs = set(after['ingest-mrt']['inputs']) | set(ref['inputs'])
    ref_series = set(ref['series'])
    probe_rows_by_t = {}
    for row in ref['series']:
        if row[0] in PROBE_DATASOURCES:
            probe_rows_by_t.setdefault(row[3], set()).add(row)

    crashed = os.path.join(directory, 'crashed.db')
    iterations = killed = 0
    problems = []
    previous_detection = {t: [] for t in DETECTION}
    for stage, count in kills:
        for i in range(count):
            # Delays spread over the stage's duration (a share of it per kill for the ingests, which resume
            # where they were killed), jittered; a few land before the store is even opened.
            if stage.startswith('ingest'):
                delay = durations[stage] / count * rng.uniform(0.2, 1.2)
            elif stage == 'serve-detect' and i % 2 == 1:
                delay = rng.uniform(0.2, 1.0)  # after the poll, while answering the requests below
            else:
                delay = durations[stage] * 1.5 * (i + rng.uniform(0.1, 1.0)) / count
            proc = pipeline.start(stage, crashed)
            port_holder = [0]
            stop = threading.Event()
            hammerer = None
            if stage == 'serve-detect':
                line = proc.stdout.readline()
                if 'http://127.0.0.1:' in line:
                    port_holder[0] = int(line.split('http://127.0.0.1:')[1].split('/')[0])
                hammerer = threading.Thread(target=hammer, args=(port_holder, stop), daemon=True)
                hammerer.start()
            time.sleep(delay)
            finished = proc.poll() is not None
            proc.kill()
            rc = proc.wait()
            stop.set()
            if hammerer:
                hammerer.join()
            if proc.stdout:
                proc.stdout.close()
            iterations += 1
            if finished:
                if rc != 0:
                    problems.append('%s #%d: exited %d before the kill' % (stage, i, rc))
            else:
                killed += 1
            state = common.dump(crashed)
            found = check(stage, i, crashed, state, ref_inputs, ref_series, probe_rows_by_t, previous_detection,
                          after)
            problems.extend(found)
            print('  %-13s #%d: %s after %.3f s; %d inputs, %d series rows, %d alerts, %d events; %s' % (
                stage, i, 'finished' if finished else 'killed', delay, len(state['inputs']), len(state['series']),
                len(state['alerts']), len(state['events']), 'ok' if not found else 'PROBLEM'), flush=True)
        pipeline.run_to_end(stage, crashed)
        state = common.dump(crashed)
        expected = after[stage]
        if state != expected:
            problems.append('after %s ran to the end the store differs from the uninterrupted run:\n%s' % (
                stage, common.describe_difference(expected, state)))
        previous_detection = {t: state[t] for t in DETECTION}

    final = common.dump(crashed)
    if common.integrity(crashed) != [('ok',)]:
        problems.append('final integrity_check failed')
    if final != ref:
        problems.append('final store differs:\n' + common.describe_difference(ref, final))
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)
    print('crash loop (seed %d): %d iterations, %d killed mid-run, %d finished before the kill; '
          'final store equals the uninterrupted run: %s' % (args.seed, iterations, killed, iterations - killed,
                                                            final == ref))
    if problems:
        for p in problems[:20]:
            print('  ' + p)
        common.fail('%d problem(s)' % len(problems))


def check(stage, i, db, state, ref_inputs, ref_series, probe_rows_by_t, previous_detection, after):
    label = '%s #%d' % (stage, i)
    found = []
    result = common.integrity(db)
    if result != [('ok',)]:
        found.append('%s: integrity_check %r' % (label, result[:5]))
    stray = [row for row in state['inputs'] if row not in ref_inputs]
    if stray:
        found.append('%s: input rows the uninterrupted run does not have: %s' % (label, stray[:3]))
    # Probe rounds: the rows of exactly the committed rounds.
    committed_rounds = {row[5] for row in state['inputs'] if row[2] == 'probe-log'}
    probe_rows = {row for row in state['series'] if row[0] in PROBE_DATASOURCES}
    expected = set()
    for t in committed_rounds:
        expected |= probe_rows_by_t.get(t, set())
    if probe_rows != expected:
        found.append('%s: probe series are not those of the %d committed rounds (%d rows, expected %d; extra %s, '
                     'missing %s)' % (label, len(committed_rounds), len(probe_rows), len(expected),
                                      sorted(probe_rows - expected)[:2], sorted(expected - probe_rows)[:2]))
    # BGP: only rows the uninterrupted run also has (a half-applied file would leave other values).
    bgp_stray = [row for row in state['series'] if row[0] == 'bgp' and row not in ref_series]
    if bgp_stray:
        found.append('%s: %d bgp rows differ from the uninterrupted run, e.g. %s' % (label, len(bgp_stray),
                                                                                   bgp_stray[:2]))
    # Detection: all of the old results or all of the new ones.
    current = {t: state[t] for t in DETECTION}
    options = [previous_detection]
    if stage in after:
        options.append({t: after[stage][t] for t in DETECTION})
    if current not in options:
        found.append('%s: detection results are neither the previous ones nor the final ones (%d alerts, %d events)'
                     % (label, len(current['alerts']), len(current['events'])))
    return found


if __name__ == '__main__':
    main()
