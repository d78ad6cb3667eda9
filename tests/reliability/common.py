# SPDX-License-Identifier: AGPL-3.0-or-later
"""Helpers shared by the reliability tests: running vigil, `vigil serve` on a free port, small stores, and a
canonical dump of everything a store holds (ids and wall-clock columns left out, so two stores built the same
way compare equal)."""
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


def fail(message):
    print('FAIL: ' + message, flush=True)
    raise SystemExit(1)


def run(vigil, *args, check=True, timeout=600):
    p = subprocess.run([vigil, *args], capture_output=True, text=True, errors='replace', timeout=timeout)
    if check and p.returncode != 0:
        fail('vigil %s: exit %d\n%s%s' % (' '.join(args), p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def work_dir(name):
    """A fresh directory on tmpfs when there is one: the crash tests kill processes, not the machine, so
    durability of the disk is not what they test, and fsync-bound runs would only make them slow."""
    base = '/dev/shm' if os.path.isdir('/dev/shm') and os.access('/dev/shm', os.W_OK) else None
    return tempfile.mkdtemp(prefix='vigil-%s-' % name, dir=base)


class Serve:
    """`vigil serve --listen 127.0.0.1:0` on a store; the port comes from its first stdout line."""

    def __init__(self, vigil, store, *extra, env=None):
        # stderr goes to a file: a pipe nobody reads would block the server once full.
        self.stderr = tempfile.TemporaryFile(mode='w+')
        self.log = ''
        self.proc = subprocess.Popen([vigil, 'serve', '--listen', '127.0.0.1:0', '--store', store, *extra],
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env)
        line = self.proc.stdout.readline()
        m = re.search(r'http://127\.0\.0\.1:(\d+)/', line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            self.stderr.seek(0)
            fail('vigil serve did not start: %r %s' % (line, self.stderr.read()[-2000:]))
        self.port = int(m.group(1))
        self.base = 'http://127.0.0.1:%d' % self.port

    def readline(self):
        return self.proc.stdout.readline()

    def get(self, path, timeout=30, method='GET', body=None, headers=None):
        req = urllib.request.Request(self.base + path, method=method, data=body, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.seek(0)
        self.log = self.stderr.read()
        self.stderr.close()


def small_store(vigil, directory):
    """A store with series, alerts, events and annotations, made in a second: ten days of half-hourly values
    for three entities (one with a three-hour drop on day 8), detection, and two annotations."""
    db = os.path.join(directory, 'small.db')
    csv = os.path.join(directory, 'series.csv')
    t0 = 1663113600  # 2022-09-14T00:00:00Z
    with open(csv, 'w') as f:
        f.write('entity,time,value\n')
        for entity, base in (('region/IR-23', 1000), ('country/IR', 5000), ('asn/58224', 800)):
            for i in range(10 * 48):
                t = t0 + i * 1800
                down = entity == 'region/IR-23' and t0 + 8 * 86400 + 6 * 3600 <= t < t0 + 8 * 86400 + 9 * 3600
                f.write('%s,%d,%d\n' % (entity, t, base // 10 if down else base + i % 7))
    run(vigil, 'import', 'series', csv, '--datasource', 'bgp', '--store', db)
    run(vigil, 'detect', '--store', db)
    annotations = os.path.join(directory, 'annotations.json')
    with open(annotations, 'w') as f:
        json.dump([{'entity': 'region/IR-23', 'kind': 'state-of-emergency', 'start': '2022-09-22T05:00:00Z',
                    'end': '2022-09-22T10:00:00Z', 'text': 'curfew order', 'source_url': 'https://example.org/a'},
                   {'entity': 'country/IR', 'kind': 'note', 'start': '2022-09-20T00:00:00Z',
                    'end': '2022-09-21T00:00:00Z', 'text': 'protests', 'source_url': 'https://example.org/b'}], f)
    run(vigil, 'annotations', 'import', annotations, '--store', db)
    return db


# Content columns of each table, with references resolved to the referenced row's natural key.
DUMP_QUERIES = [
    ('entities', "SELECT e.type, e.code, e.name, p.type, p.code, e.slash24_count, e.tz FROM entities e "
                 "LEFT JOIN entities p ON p.id = e.parent_id ORDER BY 1, 2"),
    ('datasources', "SELECT name, step_s, description FROM datasources ORDER BY 1"),
    ('series', "SELECT d.name, e.type, e.code, s.t, s.value FROM series s JOIN entities e ON e.id = s.entity_id "
               "JOIN datasources d ON d.id = s.datasource_id ORDER BY 1, 2, 3, 4"),
    ('inputs', "SELECT sha256, name, kind, collector, records, first_t, last_t FROM inputs ORDER BY 1"),
    ('state', "SELECT key, hex(bytes) FROM state ORDER BY 1"),
    ('alerts', "SELECT a.datasource, e.type, e.code, a.t, a.level, a.condition, a.value, a.baseline, a.method "
               "FROM alerts a JOIN entities e ON e.id = a.entity_id ORDER BY 1, 2, 3, 4"),
    ('schedules', "SELECT e.type, e.code, s.tz, s.on_start_min, s.on_end_min, s.first_day, s.last_day, "
                  "s.confidence FROM schedules s JOIN entities e ON e.id = s.entity_id ORDER BY 1, 2, 6, 4"),
    ('events', "SELECT e.type, e.code, v.kind, v.start_t, v.end_t, v.score, v.datasources, v.classification, "
               "s.first_day, s.on_start_min, v.depth, v.coverage, v.detail FROM events v "
               "JOIN entities e ON e.id = v.entity_id LEFT JOIN schedules s ON s.id = v.schedule_id "
               "ORDER BY 1, 2, 4, 3"),
    ('annotations', "SELECT e.type, e.code, a.start_t, a.end_t, a.kind, a.text, a.source_url FROM annotations a "
                    "JOIN entities e ON e.id = a.entity_id ORDER BY 1, 2, 3, 5, 6"),
]


def connect(db):
    # Read-only and without creating a -wal/-shm pair of its own beyond what SQLite needs to read.
    return sqlite3.connect('file:%s?mode=ro' % db, uri=True, timeout=60)


def dump(db, tables=None):
    """{table: [rows]} for the tables asked (default: all of DUMP_QUERIES). A store that was never created,
    or whose schema was never committed (killed while creating it), is empty."""
    out = {}
    if not os.path.exists(db):
        return {name: [] for name, _ in DUMP_QUERIES if tables is None or name in tables}
    with contextlib.closing(connect(db)) as c:
        if c.execute('SELECT count(*) FROM sqlite_master').fetchone()[0] == 0:
            return {name: [] for name, _ in DUMP_QUERIES if tables is None or name in tables}
        for name, query in DUMP_QUERIES:
            if tables is None or name in tables:
                out[name] = c.execute(query).fetchall()
    return out


def integrity(db):
    if not os.path.exists(db):
        return [('ok',)]
    with contextlib.closing(connect(db)) as c:
        return c.execute('PRAGMA integrity_check').fetchall()


def describe_difference(a, b):
    lines = []
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table, []), b.get(table, [])
        if ra != rb:
            sa, sb = set(ra), set(rb)
            lines.append('%s: %d vs %d rows; only first: %.300s; only second: %.300s' % (
                table, len(ra), len(rb), sorted(sa - sb)[:3], sorted(sb - sa)[:3]))
    return '\n'.join(lines)


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
