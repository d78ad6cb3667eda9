#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""RIS Live replay: withdrawal -> alert visible in the API (bench/acquire.sh calls this).

A simulated scenario (bench/rislive-scenario.json: one country, two collectors, five withdrawals of 95% of
its space at different offsets into their 5-minute bins) is made by `vigil sim`. Its files up to 09:55 are the
archive (a --mirror folder); every later update is sent by the loopback replay server
(tests/rislive/replay_server.py) as ris_message frames (`vigil mrt ris-live`), each when the replay clock
reaches its timestamp. `vigil run --ris-live` follows at SPEED x; the API's /v2/outages/alerts is polled every
20 ms for each withdrawal's first critical alert.

Latency of one withdrawal = (its bin's end + the grace - the withdrawal time), which the 5-minute bins impose
and which is the same at any replay speed, + the wall time from the moment the bin could be written to the
alert being visible (writing, detection, API), measured. Simulated data: the figure is about Vigil's path,
not about any real network.

Usage: rislive_latency.py VIGIL SOURCE_DIR [SPEED]"""
import calendar
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

VIGIL, SOURCE = sys.argv[1], sys.argv[2]
SPEED = float(sys.argv[3]) if len(sys.argv) > 3 else 300
SCENARIO = os.path.join(SOURCE, 'bench/rislive-scenario.json')
SERVER = os.path.join(SOURCE, 'tests/rislive/replay_server.py')
ARCHIVE_UNTIL = '2023-03-03T09:55:00Z'
CLOCK_START = '2023-03-03T09:50:00Z'  # the client connects before the archive's end: live at once
GRACE = 5


def unix(text):
    return calendar.timegm(time.strptime(text, '%Y-%m-%dT%H:%M:%SZ'))


def python_with_websockets():
    for exe in (sys.executable, '/usr/bin/python3'):
        if exe and subprocess.run([exe, '-c', 'import websockets'], capture_output=True).returncode == 0:
            return exe
    sys.exit('no python3 with the websockets module (Debian: python3-websockets)')


def file_time(name):  # updates.20230303.0955.gz / bview.20230303.0000.gz
    parts = name.split('.')
    return calendar.timegm(time.strptime(parts[1] + parts[2], '%Y%m%d%H%M'))


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    work = tempfile.mkdtemp(prefix='vigil-rislive-bench-')
    procs = []
    try:
        sim = os.path.join(work, 'sim')
        subprocess.run([VIGIL, 'sim', SCENARIO, sim], check=True, stdout=subprocess.DEVNULL)
        full_feed = json.load(open(os.path.join(sim, 'sim-config.json')))['full_feed_min_prefixes']
        scenario = json.load(open(SCENARIO))
        collectors = sorted(os.listdir(os.path.join(sim, 'mrt')))
        frames = []
        for c in collectors:
            folder = os.path.join(sim, 'mrt', c)
            os.makedirs(os.path.join(work, 'mirror', c))
            live = []
            for name in sorted(os.listdir(folder)):
                if name.startswith('bview.') or file_time(name) < unix(ARCHIVE_UNTIL):
                    shutil.copy(os.path.join(folder, name), os.path.join(work, 'mirror', c, name))
                else:
                    live.append(os.path.join(folder, name))
            out = subprocess.run([VIGIL, 'mrt', 'ris-live', '--collector', c] + live, check=True,
                                 capture_output=True, text=True).stdout
            frames += [(json.loads(f)['data']['timestamp'], f) for f in out.splitlines()]
        frames.sort(key=lambda f: f[0])
        frames_path = os.path.join(work, 'frames.jsonl')
        with open(frames_path, 'w') as f:
            f.write(''.join(line + '\n' for _, line in frames))

        wall0 = time.time() + 2  # the replay clock reads CLOCK_START then, for the server and for vigil
        server = subprocess.Popen([python_with_websockets(), SERVER, '--frames', frames_path, '--log',
                                   os.path.join(work, 'server.jsonl'), '--clock', '%s@%g' % (CLOCK_START, SPEED),
                                   '--wall0', str(wall0)], stdout=subprocess.PIPE, text=True)
        procs.append(server)
        ws_port = int(server.stdout.readline().split()[2])
        time.sleep(max(0, wall0 - time.time()))
        run = subprocess.Popen([VIGIL, 'run', '--mirror', os.path.join(work, 'mirror'), '--collectors',
                                ','.join(collectors), '--from', scenario['start'], '--ris-live',
                                'ws://127.0.0.1:%d/v1/ws/' % ws_port, '--clock', '%s@%g' % (CLOCK_START, SPEED),
                                '--ris-live-grace', str(GRACE), '--full-feed-min', str(full_feed), '--geo',
                                os.path.join(sim, 'geo'), '--store', os.path.join(work, 'live.db'), '--poll',
                                '1', '--listen', '127.0.0.1:0', '--web', os.path.join(SOURCE, 'web')],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(run)
        api_port = None
        while api_port is None:
            line = run.stdout.readline()
            if not line:
                sys.exit('vigil run exited early')
            if line.startswith('vigil run: listening on port '):
                api_port = int(line.split()[-1])

        withdrawals = [(e['id'], unix(e['start']), unix(e['end'])) for e in scenario['events']]
        seen = {}
        last_end = max(end for _, _, end in withdrawals)
        deadline = wall0 + (last_end - unix(CLOCK_START)) / SPEED + 60
        url = ('http://127.0.0.1:%d/v2/outages/alerts?entityType=country&entityCode=XA&from=%d&until=%d' %
               (api_port, unix(scenario['start']), unix(scenario['end'])))
        while len(seen) < len(withdrawals) and time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    body = json.loads(r.read().decode())
            except OSError:
                time.sleep(0.02)
                continue
            now = time.time()
            for a in body.get('data') or []:
                if a.get('level') != 'critical':
                    continue
                for wid, start, end in withdrawals:
                    if wid not in seen and start - 300 < a['time'] < end:
                        seen[wid] = now
                        print('ris-live  %s: critical alert visible' % wid, file=sys.stderr, flush=True)
            time.sleep(0.02)

        latencies, processing = [], []
        for wid, start, _ in withdrawals:
            if wid not in seen:
                print('ris-live  withdrawal %s at %s: no critical alert seen' % (wid, time.strftime(
                    '%H:%M:%S', time.gmtime(start))))
                continue
            bin_end = start - start % 300 + 300
            ready_wall = wall0 + (bin_end + GRACE - unix(CLOCK_START)) / SPEED
            proc_s = max(0.0, seen[wid] - ready_wall)
            processing.append(proc_s)
            latencies.append(bin_end + GRACE - start + proc_s)
        if not latencies:
            sys.exit('ris-live: no withdrawal produced an alert')
        print('ris-live  %d of %d withdrawals alerted; waiting for the bin to end + %d s grace: %s s; '
              'then write + detect + API: p50 %.2f s, p95 %.2f s (replay at %gx)' %
              (len(latencies), len(withdrawals), GRACE,
               ','.join('%d' % (l - p) for l, p in zip(latencies, processing)), percentile(processing, 50),
               percentile(processing, 95), SPEED))
        print('RIS Live replay: withdrawal -> alert visible: p50 %.1f s, p95 %.1f s (goal <= 60 s; 5-minute bins '
              'set the floor)' % (percentile(latencies, 50), percentile(latencies, 95)))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        if not os.environ.get('KEEP'):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print('kept ' + work, file=sys.stderr)


if __name__ == '__main__':
    main()
