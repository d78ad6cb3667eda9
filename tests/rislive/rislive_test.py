#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""`vigil run --ris-live` against the loopback RIS Live replay server (tests/rislive/replay_server.py).

Real data only: rrc15's update file of 2010-02-27 16:00 is the archive (a --mirror folder), and its next
published file (16:10) is what RIS Live "sends": its updates and state changes as ris_message frames made by
`vigil mrt ris-live`, after the nine real legacy lines of ../shared/data/rislive/ and malformed frames. The run's
clock replays 2010-02-27 from 16:04 at 60x.

  follow  the live bins 16:10 and 16:15 reach the store seconds after they end, without inputs rows, marked as
          RIS Live, equal to a batch ingest of both files; /healthz reports the stream; the malformed frames are
          named on stderr; the connection survives the server's WebSocket pings. Then the 16:10 file appears in
          the archive: it rewrites those bins (values equal the batch) and they are no longer marked live.
  drop    the first connection is cut in the middle of the frames: no live bin is written after the reconnection
          (the tables missed messages) until the archive passes it; the archive's values are the batch's.
  slow    the client holds at most 100 messages for the loop: it is disconnected as a slow consumer and
          reconnects, memory does not grow, and nothing it wrote differs from the batch.

Usage: rislive_test.py VIGIL SOURCE_DIR SHARED_DIR CASE"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

VIGIL, SOURCE, SHARED, CASE = sys.argv[1:5]
SERVER = os.path.join(SOURCE, 'tests/rislive/replay_server.py')
LEGACY = os.path.join(SHARED, 'data/rislive/libbgpstream-ris-live-stream.json')
MRT = os.path.join(SHARED, 'data/mrt')
ARCHIVE_FILE = 'bgpkit.rrc15.updates.20100227.1600.gz'
LIVE_FILE = 'bgpkit.rrc15.updates.20100227.1610.gz'
BIN_1610, BIN_1615 = 1267287000, 1267287300
LIVE_KEY = 'observatory.ris-live.bins.v1'
# A CSV world of four countries covering the IPv4 space (the bins' values are visible /24s per country).
GEO = ('0.0.0.0,63.255.255.255,DE,,,,,,,Europe/Berlin\n64.0.0.0,127.255.255.255,FR,,,,,,,Europe/Paris\n'
       '128.0.0.0,191.255.255.255,US,,,,,,,America/New_York\n192.0.0.0,223.255.255.255,JP,,,,,,,Asia/Tokyo\n')
COMMON = ['--full-feed-fraction', '0.5']


def fail(message):
    print('FAIL: ' + message)
    sys.exit(1)


def python_with_websockets():
    for exe in (sys.executable, '/usr/bin/python3'):
        if exe and subprocess.run([exe, '-c', 'import websockets'], capture_output=True).returncode == 0:
            return exe
    fail('no python3 with the websockets module (Debian: python3-websockets, in deps/debian-packages.txt)')


def series(db, bins=None):
    c = sqlite3.connect(db)
    rows = c.execute('SELECT e.code, d.name, s.t, s.value FROM series s JOIN entities e ON e.id = s.entity_id '
                     'JOIN datasources d ON d.id = s.datasource_id').fetchall()
    c.close()
    return sorted(r for r in rows if bins is None or r[2] in bins)


def live_bins(db):
    c = sqlite3.connect(db)
    row = c.execute('SELECT bytes FROM state WHERE key = ?', (LIVE_KEY,)).fetchone()
    c.close()
    return json.loads(row[0])['bins'] if row else []


def inputs(db):
    c = sqlite3.connect(db)
    rows = c.execute('SELECT name FROM inputs').fetchall()
    c.close()
    return sorted(r[0] for r in rows)


def wait_for(what, predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except sqlite3.OperationalError:
            pass  # the store is being created
        time.sleep(0.1)
    fail('timed out waiting for ' + what)


def healthz(port):
    with urllib.request.urlopen('http://127.0.0.1:%d/healthz' % port, timeout=10) as r:
        return json.loads(r.read().decode())


def server_log(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    python = python_with_websockets()
    work = tempfile.mkdtemp(prefix='vigil-rislive-')
    procs = []
    try:
        geo = os.path.join(work, 'geo')
        os.makedirs(geo)
        with open(os.path.join(geo, 'geo-ipv4.csv'), 'w') as f:
            f.write(GEO)
        mirror = os.path.join(work, 'mirror', 'rrc15', '2010.02')
        os.makedirs(mirror)
        shutil.copy(os.path.join(MRT, ARCHIVE_FILE), os.path.join(mirror, 'updates.20100227.1600.gz'))

        # The batch reference: both files through `vigil ingest mrt`.
        batch_dir = os.path.join(work, 'batch', 'rrc15', '2010.02')
        os.makedirs(batch_dir)
        shutil.copy(os.path.join(MRT, ARCHIVE_FILE), os.path.join(batch_dir, 'updates.20100227.1600.gz'))
        shutil.copy(os.path.join(MRT, LIVE_FILE), os.path.join(batch_dir, 'updates.20100227.1610.gz'))
        batch_db = os.path.join(work, 'batch.db')
        subprocess.run([VIGIL, 'ingest', 'mrt', '-q', '--store', batch_db, '--geo', geo] + COMMON +
                       [os.path.join(work, 'batch')], check=True, capture_output=True)
        batch_live_bins = series(batch_db, {BIN_1610, BIN_1615})
        if len(batch_live_bins) < 4:
            fail('the batch reference has no values for 16:10 and 16:15: %r' % batch_live_bins)

        frames = os.path.join(work, 'frames.jsonl')
        with open(frames, 'w') as f:
            subprocess.run([VIGIL, 'mrt', 'ris-live', '--collector', 'rrc15', os.path.join(MRT, LIVE_FILE)],
                           stdout=f, check=True)
        with open(frames) as f:
            frame_count = sum(1 for _ in f)

        log = os.path.join(work, 'server.jsonl')
        server_args = [python, SERVER, '--lines', LEGACY, '--frames', frames, '--log', log]
        if CASE == 'drop':
            server_args += ['--drop-after', str(frame_count // 2)]
        server = subprocess.Popen(server_args, stdout=subprocess.PIPE, text=True)
        procs.append(server)
        line = server.stdout.readline()
        if not line.startswith('listening on '):
            fail('replay server did not start: %r' % line)
        ws_port = int(line.split()[2])

        store = os.path.join(work, 'live.db')
        start = '2010-02-27T16:04:50Z' if CASE == 'drop' else '2010-02-27T16:04:00Z'
        args = [VIGIL, 'run', '--mirror', os.path.join(work, 'mirror'), '--collectors', 'rrc15',
                '--from', '2010-02-27T16:00:00Z', '--ris-live', 'ws://127.0.0.1:%d/v1/ws/' % ws_port,
                '--clock', start + '@60', '--geo', geo, '--store', store, '--poll', '0.5',
                '--listen', '127.0.0.1:0', '--web', os.path.join(SOURCE, 'web')] + COMMON
        if CASE == 'slow':
            args += ['--ris-live-queue', '100']
        err_path = os.path.join(work, 'run.err')
        err = open(err_path, 'w')
        run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
        procs.append(run)
        api_port = None
        while api_port is None:
            out = run.stdout.readline()
            if not out:
                fail('vigil run exited early: ' + open(err_path).read()[-2000:])
            if out.startswith('vigil run: listening on port '):
                api_port = int(out.split()[-1])

        if CASE == 'follow':
            follow(store, batch_db, batch_live_bins, api_port, err_path, log, mirror)
        elif CASE == 'drop':
            drop(store, batch_db, api_port, err_path, log, mirror)
        elif CASE == 'slow':
            slow(store, batch_db, batch_live_bins, api_port, err_path, log)
        else:
            fail('unknown case ' + CASE)

        run.send_signal(signal.SIGTERM)
        if run.wait(timeout=30) != 0:
            fail('vigil run did not stop cleanly: exit %d' % run.returncode)
        print('PASS %s' % CASE)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


def archive_arrives(store, batch_db, mirror):
    # The 16:10 file is published: it is authoritative for its bins.
    tmp = os.path.join(mirror, '.updates.20100227.1610.gz')
    shutil.copy(os.path.join(MRT, LIVE_FILE), tmp)
    os.rename(tmp, os.path.join(mirror, 'updates.20100227.1610.gz'))
    wait_for('the archive file to be ingested', lambda: len(inputs(store)) == 2, 30)
    wait_for('the archive to replace the live bins', lambda: BIN_1610 not in live_bins(store), 30)
    got = series(store, {BIN_1610})
    want = series(batch_db, {BIN_1610})
    if got != want:
        fail('after the archive file, bin 16:10 differs from the batch: %r vs %r' % (got, want))


def follow(store, batch_db, batch_live_bins, api_port, err_path, log, mirror):
    wait_for('both live bins', lambda: {BIN_1610, BIN_1615} <= set(live_bins(store)), 60)
    got = series(store, {BIN_1610, BIN_1615})
    if got != batch_live_bins:
        fail('live bins differ from the batch ingest of the same updates:\n%r\n%r' % (got, batch_live_bins))
    if inputs(store) != ['rrc15/2010.02/updates.20100227.1600.gz']:
        fail('live bins must not write inputs rows: %r' % inputs(store))
    health = healthz(api_port)
    live = health.get('sources', health).get('ris_live') if isinstance(health, dict) else None
    if not live:
        fail('/healthz has no ris_live object: %r' % health)
    if not live['status'].startswith('connected') or live['messages'] < 1000 or live['bins_from_live'] < 2:
        fail('/healthz ris_live: %r' % live)
    errors = open(err_path).read()
    for what in ('not an IP address: "not-an-address"', 'not a prefix: "10.0.0.0/40"', 'not closed',
                 'expected a JSON object'):
        if what not in errors:
            fail('stderr does not name the malformed frame (%s):\n%s' % (what, errors[-3000:]))
    events = server_log(log)
    subscriptions = [e['data'] for e in events if e['event'] == 'subscribe']
    if sorted((s['host'], s['type']) for s in subscriptions) != [('rrc15', 'RIS_PEER_STATE'), ('rrc15', 'UPDATE')]:
        fail('subscriptions: %r' % subscriptions)
    if not any(e['event'] == 'connected' and 'client=vigil' in e['path'] for e in events):
        fail('the client did not name itself: %r' % events[:1])
    # The server pinged every 0.5 s and drops a client that does not answer within 3 s.
    if sum(1 for e in events if e['event'] == 'connected') != 1:
        fail('the connection did not survive the WebSocket pings: %r' % events)
    archive_arrives(store, batch_db, mirror)


def drop(store, batch_db, api_port, err_path, log, mirror):
    wait_for('the reconnection', lambda: sum(1 for e in server_log(log) if e['event'] == 'connected') >= 2, 30)
    wait_for('every frame to be sent', lambda: any(e['event'] == 'sent all' for e in server_log(log)), 30)
    # By the run clock 16:21 every live bin would have been written; none may be after the cut.
    wait_for('the run clock to pass 16:21',
             lambda: (healthz(api_port)['sources']['now'] or '') >= '2010-02-27T16:21:00Z', 60)
    if live_bins(store) or series(store, {BIN_1610}):
        fail('live bins written after a reconnection, before the archive passed it: %r' % live_bins(store))
    live = healthz(api_port)['sources']['ris_live']
    if live['reconnects'] < 1 or 'waiting for the archive' not in live['status']:
        fail('/healthz ris_live after the cut: %r' % live)
    if 'RIS Live: disconnected' not in open(err_path).read():
        fail('the disconnection is not reported on stderr')
    archive_arrives(store, batch_db, mirror)


def slow(store, batch_db, batch_live_bins, api_port, err_path, log):
    wait_for('a slow-consumer disconnect', lambda: 'slow consumer' in open(err_path).read(), 30)
    wait_for('the reconnection', lambda: sum(1 for e in server_log(log) if e['event'] == 'connected') >= 2, 30)
    live = healthz(api_port)['sources']['ris_live']
    if live['reconnects'] < 1:
        fail('/healthz ris_live: %r' % live)
    # Whatever reached the store is what the batch has (no live bin from tables that missed messages).
    for row in series(store):
        if row not in series(batch_db):
            fail('a value the batch does not have: %r' % (row,))


if __name__ == '__main__':
    main()
