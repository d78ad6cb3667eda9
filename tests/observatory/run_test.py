#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""`vigil run` end to end, on loopback only.

The project's test archive server (tests/acquire/archive_server.py --replay) publishes a simulated scenario's
MRT files one by one at accelerated time, in the RIS layout; `vigil run` follows it through the acquire module.

  follow   `vigil run` follows the whole scenario; the events its API answers on /v2/outages/events equal those
           of a batch `vigil ingest mrt` + `vigil detect` over the same files (served by `vigil serve`), and the
           stores hold the same series, inputs, alerts and events. SIGTERM stops it cleanly (exit 0), /healthz
           and /metrics report every collector.
  kill9    `vigil run` is killed with SIGKILL at 10 random moments (downloading, ingesting, detecting) and
           restarted each time; the final store equals the batch one (series, inputs, alerts, events).

Usage: run_test.py VIGIL SOURCE_DIR CASE   (CASE: follow | kill9)"""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

VIGIL, SOURCE, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
SCENARIO = os.path.join(SOURCE, 'tests/observatory/run-scenario.json')
SERVER = os.path.join(SOURCE, 'tests/acquire/archive_server.py')
START = '2023-03-03T00:00:00Z'
END_UNIX = 1677873600  # 2023-03-03T20:00:00Z, the scenario's end
SPEED = 1800           # 20 hours of scenario in 40 s


def fail(message):
    print('FAIL: ' + message)
    sys.exit(1)


def unix(text):
    return int(time.mktime(time.strptime(text, '%Y-%m-%dT%H:%M:%SZ'))) - time.timezone


def get(port, path):
    with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=10) as r:
        return r.read().decode()


def digest(db):
    """Series, inputs (without ingest time), alerts and events, entities named by type/code."""
    c = sqlite3.connect(db)
    out = []
    code = dict((i, t + '/' + k) for i, t, k in c.execute('SELECT id, type, code FROM entities'))
    for e, t, v in c.execute('SELECT entity_id, t, value FROM series ORDER BY entity_id, t'):
        out.append(('series', code[e], t, v))
    out.sort()
    out += sorted(c.execute('SELECT sha256, name, kind, collector, records, first_t, last_t FROM inputs'))
    out += alerts(c, code)
    out += sorted((code[r[0]],) + tuple(r[1:]) for r in
                  c.execute('SELECT entity_id, kind, start_t, end_t, score, datasources, classification, depth '
                            'FROM events'))
    c.close()
    return out


def alerts(c, code):
    cols = [r[1] for r in c.execute('PRAGMA table_info(alerts)') if r[1] != 'id']
    rows = c.execute('SELECT %s FROM alerts' % ', '.join(cols)).fetchall()
    entity = cols.index('entity_id')
    return sorted(tuple(code[v] if i == entity else v for i, v in enumerate(r)) for r in rows)


def explain(a, b):
    sa, sb = set(a), set(b)
    only_a, only_b = sorted(sa - sb)[:5], sorted(sb - sa)[:5]
    return 'run has %d rows, batch %d; only in run: %s; only in batch: %s' % (len(a), len(b), only_a, only_b)


def start_server(mrt_dir, work):
    clock = '%s@%d' % (START, SPEED)
    out = open(os.path.join(work, 'server.out'), 'w+')
    proc = subprocess.Popen([sys.executable, SERVER, '--replay', mrt_dir, '--replay-clock', clock,
                             '--publish-delay', '60'], stdout=out, stderr=subprocess.STDOUT)
    wall0 = time.time()
    for _ in range(100):
        out.seek(0)
        text = out.read()
        if text.startswith('port '):
            return proc, int(text.split()[1]), wall0
        time.sleep(0.05)
    fail('archive server did not start: ' + text)


def replay_now(wall0):
    return unix(START) + int((time.time() - wall0) * SPEED)


def run_args(port, work, store, wall0, listen='127.0.0.1:0'):
    clock = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(replay_now(wall0))) + '@%d' % SPEED
    return [VIGIL, 'run', '--collectors', 'rrc00,rrc25', '--from', START, '--store', store,
            '--geo', os.path.join(work, 'sim/geo'), '--full-feed-min', str(FULL_FEED),
            '--cache', os.path.join(work, 'cache'), '--archive-url', 'ris=http://127.0.0.1:%d/ris/' % port,
            '--poll', '0.5', '--deadline', '1800', '--clock', clock, '--listen', listen]


def batch(work):
    """`vigil ingest mrt CACHE` + `vigil detect` into a fresh store."""
    store = os.path.join(work, 'batch.db')
    subprocess.run([VIGIL, 'ingest', 'mrt', '-q', '--store', store, '--geo', os.path.join(work, 'sim/geo'),
                    '--full-feed-min', str(FULL_FEED), os.path.join(work, 'cache')], check=True)
    subprocess.run([VIGIL, 'detect', '--store', store], check=True, stdout=subprocess.DEVNULL)
    return store


def health(port):
    return json.loads(get(port, '/healthz'))['sources']


def wait_done(proc, port):
    """Until the run has closed and detected every bin of the scenario."""
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            fail('vigil run exited early with %d' % proc.returncode)
        try:
            h = health(port)
            if h['detected_until'] and unix(h['detected_until']) >= END_UNIX:
                return h
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    fail('vigil run did not reach the end of the scenario in 120 s')


def read_port(out_path, proc):
    for _ in range(200):
        with open(out_path) as f:
            for line in f:
                if line.startswith('vigil run: listening on port '):
                    return int(line.split()[-1])
        if proc.poll() is not None:
            fail('vigil run exited with %d: %s' % (proc.returncode, open(out_path).read()))
        time.sleep(0.05)
    fail('vigil run printed no port')


def events_of(port):
    body = json.loads(get(port, '/v2/outages/events?from=%d&until=%d&limit=10000' % (unix(START), END_UNIX + 86400)))
    # Ids differ (the follower rewrites open events as it goes); everything else must not.
    return sorted(json.dumps({k: v for k, v in e.items() if k != 'id'}, sort_keys=True) for e in body['data'])


def serve_events(store):
    proc = subprocess.Popen([VIGIL, 'serve', '--store', store, '--listen', '127.0.0.1:0'], stdout=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    port = int(line.split('http://127.0.0.1:')[1].split('/')[0])
    try:
        return events_of(port)
    finally:
        proc.terminate()
        proc.wait()


def case_follow(work, port, wall0):
    store = os.path.join(work, 'run.db')
    out_path = os.path.join(work, 'run.out')
    proc = subprocess.Popen(run_args(port, work, store, wall0), stdout=open(out_path, 'w'), stderr=subprocess.STDOUT)
    api = read_port(out_path, proc)
    h = wait_done(proc, api)
    names = [c['collector'] for c in h['collectors']]
    if names != ['rrc00', 'rrc25']:
        fail('healthz collectors: %s' % names)
    for c in h['collectors']:
        if c['newest_file_end'] != '2023-03-03T20:00:00Z' or c['files_ingested'] != 241 or c['failures'] != 0:
            fail('healthz collector figures: %s' % c)
    metrics = get(api, '/metrics')
    for needle in ('vigil_run_collector_lag_seconds{collector="rrc25"}', 'vigil_run_bins_closed_by_deadline',
                   'vigil_run_collector_fetch_failures{collector="rrc00"} 0'):
        if needle not in metrics:
            fail('/metrics lacks ' + needle)
    run_events = events_of(api)
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=30) != 0:
        fail('vigil run did not stop cleanly on SIGTERM: exit %d' % proc.returncode)
    if 'vigil run: stopped' not in open(out_path).read():
        fail('no "stopped" line')
    batch_store = batch(work)
    batch_events = serve_events(batch_store)
    if not run_events:
        fail('no events: the scenario has a blackout')
    if run_events != batch_events:
        fail('/v2/outages/events differ: run %s, batch %s' % (run_events[:2], batch_events[:2]))
    a, b = digest(store), digest(batch_store)
    if a != b:
        fail('stores differ: ' + explain(a, b))
    print('follow: %d events, %d rows equal to the batch run' % (len(run_events), len(a)))


def case_kill9(work, port, wall0):
    store = os.path.join(work, 'run.db')
    rng = random.Random(int(os.environ.get('VIGIL_KILL_SEED', '17')))
    kills = 0
    out_path = os.path.join(work, 'run.out')
    while kills < 10:
        proc = subprocess.Popen(run_args(port, work, store, wall0, listen=''), stdout=open(out_path, 'a'),
                                stderr=subprocess.STDOUT)
        time.sleep(rng.uniform(0.2, 3.5))
        if proc.poll() is not None:
            fail('vigil run exited by itself with %d' % proc.returncode)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    # The last run follows to the end of the scenario.
    proc = subprocess.Popen(run_args(port, work, store, wall0), stdout=open(out_path, 'a'), stderr=subprocess.STDOUT)
    api = None
    for _ in range(200):
        lines = [l for l in open(out_path) if l.startswith('vigil run: listening on port ')]
        if len(lines) >= 1:
            api = int(lines[-1].split()[-1])
            break
        time.sleep(0.05)
    if api is None:
        fail('the final vigil run printed no port')
    wait_done(proc, api)
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=30) != 0:
        fail('the final vigil run did not stop cleanly')
    a, b = digest(store), digest(batch(work))
    if a != b:
        fail('after %d kills the store differs from the batch run: %s' % (kills, explain(a, b)))
    print('kill9: %d SIGKILLs, final store equal to the batch run (%d rows)' % (kills, len(a)))


def main():
    global FULL_FEED
    with tempfile.TemporaryDirectory(prefix='vigil-run-test-') as work:
        subprocess.run([VIGIL, 'sim', SCENARIO, os.path.join(work, 'sim')], check=True, stdout=subprocess.DEVNULL)
        FULL_FEED = json.load(open(os.path.join(work, 'sim/sim-config.json')))['full_feed_min_prefixes']
        server, port, wall0 = start_server(os.path.join(work, 'sim/mrt'), work)
        try:
            {'follow': case_follow, 'kill9': case_kill9}[CASE](work, port, wall0)
        finally:
            server.terminate()
            server.wait()


FULL_FEED = 0
if __name__ == '__main__':
    main()
