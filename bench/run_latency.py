#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Detection latency of `vigil run` (issue 17 acceptance), on loopback only.

The project's test archive server (tests/acquire/archive_server.py --replay) publishes the simulated scenario
bench/run-latency-scenario.json (four one-hour regional withdrawals, 09:00 to 14:30, starting at different
minutes of their bins) in the RIS layout at SPEED times real
time, each file PUBLISH_DELAY scenario seconds after its interval ends, from a replay clock that starts at
08:00 (`vigil run --from 00:00` backfills the night, then follows). While it runs, the API is polled every
0.1 s: /v2/outages/events for events and /healthz for `closed_until`.

For each event that starts after the live point, latency = the wall time its event first appears in the API
minus the wall time the archive first listed the files that closed the last bin it was detected from (the
bin ending at the `closed_until` the run reported then; both collectors' files, which the bench sees appear
by reading the archive's listings every 0.1 s itself). That is the
run's own delay: one poll wait at most, plus fetch, ingest and detection. Printed: p50 / p95 in seconds, the
poll interval and the batch ingest time of one bin's files (the goal is p95 <= poll + that ingest time).
The data-time delay (how many bins detection needs before it reports) is printed separately, in bins.

Usage: run_latency.py VIGIL SOURCE_DIR [--speed 120] [--poll 1]"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

START = 1677801600  # 2023-03-03T00:00:00Z, the scenario's start
LIVE_FROM = START + 8 * 3600  # the replay clock starts at 08:00
UNTIL = START + 15 * 3600  # after the last withdrawal ends
PUBLISH_DELAY = 60
BIN = 300


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def unix(text):
    return int(time.mktime(time.strptime(text, '%Y-%m-%dT%H:%M:%SZ'))) - time.timezone


def get(port, path):
    with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=5) as r:
        return json.loads(r.read().decode())


def wait_line(path, prefix, proc, what):
    for _ in range(400):
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line
        if proc.poll() is not None:
            sys.exit('%s exited with %d: %s' % (what, proc.returncode, open(path).read()))
        time.sleep(0.05)
    sys.exit('%s printed no "%s" line' % (what, prefix))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('vigil')
    parser.add_argument('source')
    parser.add_argument('--speed', type=int, default=120)
    parser.add_argument('--poll', type=float, default=1.0)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='vigil-latency-')
    procs = []
    try:
        scenario = os.path.join(args.source, 'bench/run-latency-scenario.json')
        subprocess.run([args.vigil, 'sim', scenario, os.path.join(work, 'sim')], check=True, stdout=subprocess.DEVNULL)
        windows = [(unix(e['start']), unix(e['end'])) for e in json.load(open(scenario))['events']]
        full_feed = json.load(open(os.path.join(work, 'sim/sim-config.json')))['full_feed_min_prefixes']
        geo = os.path.join(work, 'sim/geo')

        # One bin's files (both collectors) ingested by the batch command on top of the night: the ingest time
        # a poll adds.
        files = sorted(os.path.join(d, n) for d, _, ns in os.walk(os.path.join(work, 'sim/mrt')) for n in ns)
        night = [f for f in files if 'bview' in f or os.path.basename(f) < 'updates.20230303.0800']
        one_bin = [f for f in files if os.path.basename(f).startswith('updates.20230303.0800')]
        batch = os.path.join(work, 'batch.db')
        ingest = [args.vigil, 'ingest', 'mrt', '-q', '--store', batch, '--geo', geo, '--full-feed-min', str(full_feed)]
        subprocess.run(ingest + night, check=True, stdout=subprocess.DEVNULL)
        t0 = time.monotonic()
        subprocess.run(ingest + one_bin, check=True, stdout=subprocess.DEVNULL)
        bin_ingest_s = time.monotonic() - t0

        server_out = os.path.join(work, 'server.out')
        server = subprocess.Popen([sys.executable, os.path.join(args.source, 'tests/acquire/archive_server.py'),
                                   '--replay', os.path.join(work, 'sim/mrt'), '--replay-clock',
                                   '%s@%d' % (iso(LIVE_FROM), args.speed), '--publish-delay', str(PUBLISH_DELAY)],
                                  stdout=open(server_out, 'w'), stderr=subprocess.STDOUT)
        procs.append(server)
        wall0 = time.time()
        port = int(wait_line(server_out, 'port ', server, 'archive server').split()[1])

        def replay_now():
            return LIVE_FROM + (time.time() - wall0) * args.speed

        listed = {}  # interval end -> wall time the archive first listed that interval's file of every collector

        def watch_archive():
            names = []
            for collector in ('rrc00', 'rrc25'):
                url = 'http://127.0.0.1:%d/ris/%s/2023.03/' % (port, collector)
                with urllib.request.urlopen(url, timeout=5) as r:
                    names.append(set(re.findall(r'href="updates\.(\d{8}\.\d{4})\.gz"', r.read().decode())))
            now = time.time()
            for stamp in names[0] & names[1]:
                end = unix('%s-%s-%sT%s:%s:00Z' % (stamp[:4], stamp[4:6], stamp[6:8], stamp[9:11], stamp[11:])) + BIN
                listed.setdefault(end, now)

        def published_at(file_end):  # wall time the archive listed the files whose interval ends at file_end
            return listed[file_end]

        run_out = os.path.join(work, 'run.out')
        run = subprocess.Popen([args.vigil, 'run', '--collectors', 'rrc00,rrc25', '--from', iso(START),
                                '--store', os.path.join(work, 'run.db'), '--geo', geo,
                                '--full-feed-min', str(full_feed), '--cache', os.path.join(work, 'cache'),
                                '--archive-url', 'ris=http://127.0.0.1:%d/ris/' % port, '--poll', str(args.poll),
                                '--clock', '%s@%d' % (iso(int(replay_now())), args.speed), '--listen',
                                '127.0.0.1:0'], stdout=open(run_out, 'w'), stderr=subprocess.STDOUT)
        procs.append(run)
        api = int(wait_line(run_out, 'vigil run: listening on port ', run, 'vigil run').split()[-1])

        closed = []  # (wall time, closed_until) as the run reported them
        first_seen = {}  # (entity, start) -> (wall time, closed_until then)
        while replay_now() < UNTIL + 1800:
            if run.poll() is not None:
                sys.exit('vigil run exited with %d: %s' % (run.returncode, open(run_out).read()))
            try:
                watch_archive()
                # Events first, then health: the run publishes closed_until before detection writes, so the
                # health read after an event's first sight names the closed bins it was detected from.
                events = get(api, '/v2/outages/events?from=%d&until=%d&limit=10000' % (START, UNTIL + 86400))
                seen_at = time.time()
                health = get(api, '/healthz')['sources']
                c = unix(health['closed_until']) if health['closed_until'] else None
                if c is not None and (not closed or closed[-1][1] != c):
                    closed.append((seen_at, c))
                for e in events['data']:
                    # The follower may move an open event's start as bins arrive: an entity's first event in
                    # a withdrawal's window counts once, with the start it had when first seen. Events in no
                    # window (false ones) are not latencies.
                    window = next((i for i, (a, b) in enumerate(windows) if a - 900 <= e['start'] <= b), None)
                    key = (e['location'], window)
                    if window is not None and key not in first_seen and c is not None:
                        first_seen[key] = (seen_at, c, e['start'])
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)

        steps = [re.search(r'took ([0-9.]+) s \(list ([0-9.]+), fetch ([0-9.]+), ingest ([0-9.]+), detect and '
                           r'webhooks ([0-9.]+)\)', line) for line in open(run_out)]
        steps = [[float(x) for x in m.groups()] for m in steps if m]
        live = first_seen
        if not live:
            sys.exit('no event started after the live point (%s): nothing to measure' % iso(LIVE_FROM))
        latencies, data_bins = [], []
        for (entity, window), (seen, closed_until, start) in sorted(live.items()):
            if closed_until not in listed:
                sys.exit('the files ending at %s were never seen listed' % iso(closed_until))
            latencies.append(seen - published_at(closed_until))
            data_bins.append((closed_until - start) // BIN)
        print('run latency: %d events in the windows of the replayed withdrawals (%s), %d collectors, '
              'replay x%d, poll %.1f s' %
              (len(live), ', '.join(sorted({k[0] for k in live})), 2, args.speed, args.poll))
        print('  publication of the file closing the last bin used -> event in /v2/outages/events: '
              'p50 %.2f s, p95 %.2f s, max %.2f s' %
              (statistics.median(latencies), percentile(latencies, 95), max(latencies)))
        print('  bins of data after the event start before it was reported: median %d (%d..%d)' %
              (statistics.median(data_bins), min(data_bins), max(data_bins)))
        if steps:
            med = [statistics.median(col) for col in zip(*steps)]
            print('  a poll that did work (median of %d): %.2f s = list %.2f + fetch %.2f + ingest %.2f + detect %.2f' %
                  (len(steps), *med))
        goal = args.poll + bin_ingest_s
        print('  goal: p95 <= poll %.1f s + one bin\'s ingest %.2f s = %.2f s: %s' %
              (args.poll, bin_ingest_s, goal, 'met' if percentile(latencies, 95) <= goal else 'NOT met'))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get('KEEP_WORK'):
            print('work folder kept: ' + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
