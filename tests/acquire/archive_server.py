#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A loopback test archive: RIS and RouteViews layouts with Apache-shaped auto-index pages (or nginx-shaped with
--listing nginx), built from the real MRT files of ../shared/data/mrt renamed into place, plus the two index
APIs (BGPStream broker v2 at /bgpstream/data, bgpkit broker v3 at /bgpkit/search) answering from the same tree.

Layout (January 2022):
  /ris/rrc00/2022.01/updates.20220104.HHMM.gz    real RIS updates (ripe-bgpdump.updates.*, bgpkit.rrc*.updates.*)
  /ris/rrc00/2022.01/bview.20220104.0000.gz      real RIS bview (ripe-bgpdump.bview.20020722.2337.gz)
  /ris/rrc25/2022.01/updates.20220104.HHMM.gz
  /routeviews/bgpdata/2022.01/UPDATES/updates.20220104.HHMM.bz2   route-views2 (caida.routeviews.*, ryu.*)
  /routeviews/bgpdata/2022.01/RIBS/rib.20220104.0000.bz2
  /routeviews/route-views.jinx/bgpdata/2022.01/UPDATES/...

Fault switches (--fault PATH=KIND[:ARG...], PATH relative to the server root, e.g. ris/rrc00/2022.01/x.gz):
  404                 listed, but GET answers 404
  500:N               the first N GETs answer 500 (N=0: always)
  503:N:S             the first N GETs answer 503 with Retry-After: S
  truncate:N          the first N GETs send half the body and close (Content-Length promises all of it)
  reset:N             the first N GETs send half the body, then reset the connection (RST)
  stall:N:S           the first N GETs send half the body, then stall S seconds
  late:N              the first N GETs answer 404 (the file appears late)
  grow                the listing shows the original size; GET serves the file with its first half appended
  corrupt             one byte in the middle flipped (same size)
  garbage-listing     the folder holding PATH answers a page of random bytes
  evil-names          the folder holding PATH also lists names with ../, /, control characters, 300 bytes
  bomb                PATH is replaced by a gzip of 64 MB of zeros (decompression ratio ~1000)
  truncated-bz2       PATH is replaced by the real truncated bzip2 pyasn.rib.20140523.0600_firstMB.bz2
Replay (`vigil run` tests and `make demo`): --replay DIR serves a simulator's mrt/ folder (DIR/<collector>/
bview.* and updates.*) in the RIS layout (/ris/<collector>/YYYY.MM/...), each file listed and served only once
the replay clock (--replay-clock TIME@SPEED: TIME at start-up, SPEED times faster than real time) has passed its
interval's end plus --publish-delay seconds (RIBs: their dump time plus the delay), as a real archive publishes.
--rate B limits each connection to B bytes/s (benchmarks: a network-bound link); --copies N adds N more
update files per collector (the same real files under further 5-minute names) for throughput runs.
Prints "port N" on stdout once listening; every request is logged to --log (method path status)."""
import argparse
import gzip
import html
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MONTH = '2022.01'
DAY = '20220104'

RIS_UPDATES = ['ripe-bgpdump.updates.20020722.2238.gz', 'ripe-bgpdump.updates.20070211.0141.gz',
               'ripe-bgpdump.updates.20071015.1505.gz', 'ripe-bgpdump.updates.20100722.2015.gz',
               'ripe-bgpdump.updates.20160811.1600.gz', 'bgpkit.rrc15.updates.20100227.1600.gz',
               'bgpkit.rrc15.updates.20100227.1610.gz', 'caida.ris.rrc06.updates.1427846400.gz']
RIS_BVIEW = 'ripe-bgpdump.bview.20020722.2337.gz'
RV_UPDATES = ['caida.routeviews.route-views.jinx.updates.1427846400.bz2', 'ryu.updates.20161101.0000.bz2',
              'bgpkit.local_only.updates.bz2']
RV_RIBS = ['ryu.rib.20161101.0000_pick.bz2', 'pyasn.bview.20140112.1600_3samples.bz2']
TRUNCATED_BZ2 = 'pyasn.rib.20140523.0600_firstMB.bz2'


def hhmm(minutes):
    return '%02d%02d' % (minutes // 60, minutes % 60)


def build_tree(shared, copies=0):
    """{relative path: (bytes, source name)} of every published file."""
    mrt = os.path.join(shared, 'data', 'mrt')

    def read(name):
        with open(os.path.join(mrt, name), 'rb') as f:
            return f.read()

    tree = {}
    for collector, offset in (('rrc00', 0), ('rrc25', 3)):
        names = RIS_UPDATES[offset:] + RIS_UPDATES[:offset]
        for i in range(len(names) + copies):
            src = names[i % len(names)]
            tree['ris/%s/%s/updates.%s.%s.gz' % (collector, MONTH, DAY, hhmm(5 * i))] = (read(src), src)
    tree['ris/rrc00/%s/bview.%s.0000.gz' % (MONTH, DAY)] = (read(RIS_BVIEW), RIS_BVIEW)
    for folder, names in (('bgpdata', RV_UPDATES), ('route-views.jinx/bgpdata', RV_UPDATES[::-1])):
        for i in range(len(names) + copies):
            src = names[i % len(names)]
            tree['routeviews/%s/%s/UPDATES/updates.%s.%s.bz2' % (folder, MONTH, DAY, hhmm(15 * i))] = (read(src), src)
        for i, src in enumerate(RV_RIBS):
            tree['routeviews/%s/%s/RIBS/rib.%s.%s.bz2' % (folder, MONTH, DAY, hhmm(120 * i))] = (read(src), src)
    return tree, read


def build_replay_tree(mrt_dir):
    """{'ris/<collector>/YYYY.MM/<name>': (path on disk, publication key)} of a simulator's mrt/ folder."""
    tree = {}
    for collector in sorted(os.listdir(mrt_dir)):
        folder = os.path.join(mrt_dir, collector)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            parts = name.split('.')
            if len(parts) < 3 or parts[0] not in ('updates', 'bview'):
                continue
            start = int(time.mktime(time.strptime(parts[1] + parts[2], '%Y%m%d%H%M'))) - time.timezone
            end = start + (300 if parts[0] == 'updates' else 0)
            month = parts[1][:4] + '.' + parts[1][4:6]
            tree['ris/%s/%s/%s' % (collector, month, name)] = (os.path.join(folder, name), end)
    return tree


class ReplayTree(dict):
    """The replay's files as a dict that shows only what the replay clock has published (bodies read on use)."""

    def __init__(self, files, origin, speed, delay):
        super().__init__()
        self.files = files
        self.origin, self.speed, self.delay = origin, speed, delay
        self.wall_origin = time.time()
        self.cache = {}

    def now(self):
        return self.origin + (time.time() - self.wall_origin) * self.speed

    def published(self, path):
        f = self.files.get(path)
        return f is not None and f[1] + self.delay <= self.now()

    def __iter__(self):
        now = self.now()
        return iter([p for p, (_, end) in self.files.items() if end + self.delay <= now])

    def __contains__(self, path):
        return self.published(path)

    def __getitem__(self, path):
        if not self.published(path):
            raise KeyError(path)
        if path not in self.cache:
            with open(self.files[path][0], 'rb') as f:
                self.cache[path] = (f.read(), os.path.basename(self.files[path][0]))
        return self.cache[path]

    def get(self, path, default=None):
        return self[path] if self.published(path) else default

    def items(self):
        return [(p, self[p]) for p in self]


class ReplaySizes(dict):
    """Listed sizes of the replay's files, from the file system."""

    def __init__(self, tree):
        super().__init__()
        self.tree = tree

    def __getitem__(self, path):
        return os.path.getsize(self.tree.files[path][0])


def parse_clock(spec):
    when, speed = spec.rsplit('@', 1)
    origin = int(time.mktime(time.strptime(when, '%Y-%m-%dT%H:%M:%SZ'))) - time.timezone
    return origin, float(speed)


def apache_size(n):
    """Apache's apr_strfsize: bytes below 973, else one decimal below 9.95 of the unit, else a rounded integer."""
    if n < 973:
        return '%3d ' % n
    units = 'KMGTPE'
    value = float(n)
    for unit in units:
        value /= 1024.0
        if value < 973:
            return ('%.1f%s' % (value, unit)) if value < 9.95 else ('%3d%s' % (round(value), unit))
    return '%d' % n


class Archive:
    def __init__(self, shared, faults, listing='apache', rate=0, copies=0, log=None, replay=None):
        if replay:  # (mrt folder, clock spec, publish delay)
            origin, speed = parse_clock(replay[1])
            self.tree = ReplayTree(build_replay_tree(replay[0]), origin, speed, replay[2])
            self.originals = self.tree
            self.listed_sizes = ReplaySizes(self.tree)
            read = None
        else:
            self.tree, read = build_tree(shared, copies)
            self.originals = dict(self.tree)  # before any fault changed a file: what a correct cache may hold
            self.listed_sizes = {p: len(b) for p, (b, _) in self.tree.items()}
        self.listing = listing
        self.rate = rate
        self.faults = {}
        self.counts = {}
        self.lock = threading.Lock()
        self.log = open(log, 'a') if log else None
        self.requests = []  # (time, method, path, status, range) of every answered request
        self.start = time.time()
        for spec in faults:
            path, kind = spec.split('=', 1)
            parts = kind.split(':')
            self.faults[path] = parts
            body, src = self.tree.get(path, (b'', ''))
            if parts[0] == 'grow':
                self.tree[path] = (body + body[:len(body) // 2], src)
            elif parts[0] == 'corrupt':
                mid = len(body) // 2
                self.tree[path] = (body[:mid] + bytes([body[mid] ^ 0x55]) + body[mid + 1:], src)
            elif parts[0] == 'bomb':
                self.tree[path] = (gzip.compress(b'\0' * (64 << 20), 9), 'bomb')
                self.listed_sizes[path] = len(self.tree[path][0])
            elif parts[0] == 'truncated-bz2':
                self.tree[path] = (read(TRUNCATED_BZ2), TRUNCATED_BZ2)
                self.listed_sizes[path] = len(self.tree[path][0])

    def count(self, path):
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            return self.counts[path]

    def folder_entries(self, folder):
        """Names (folders end in '/') directly inside `folder` ('' is the root), with sizes."""
        prefix = folder + '/' if folder else ''
        entries = {}
        for path in self.tree:
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):]
            if '/' in rest:
                entries[rest.split('/', 1)[0] + '/'] = None
            else:
                entries[rest] = self.listed_sizes[path]
        return entries

    def listing_page(self, folder):
        entries = self.folder_entries(folder)
        if not entries and folder and not any(p.startswith(folder + '/') for p in self.tree):
            return None
        evil = any(k[0] == 'evil-names' and p.rsplit('/', 1)[0] == folder for p, k in self.faults.items())
        if any(k[0] == 'garbage-listing' and p.rsplit('/', 1)[0] == folder for p, k in self.faults.items()):
            rng = random.Random(folder)
            return bytes(rng.randrange(256) for _ in range(4096))
        rows = sorted(entries.items())
        if evil:
            rows += [('../../../etc/passwd', 100), ('..%2F..%2Fupdates.' + DAY + '.0005.gz', 100),
                     ('sub/updates.%s.0010.gz' % DAY, 100), ('updates.' + DAY + '.00%0a15.gz', 100),
                     ('u' * 300 + '.gz', 100), ('/etc/shadow', 100)]
        title = '/' + folder + ('/' if folder else '')
        if self.listing == 'nginx':
            lines = ['<html>\r\n<head><title>Index of %s</title></head>\r\n<body>\r\n<h1>Index of %s</h1><hr><pre>'
                     '<a href="../">../</a>' % (title, title)]
            for name, size in rows:
                shown = html.escape(name[:50])
                lines.append('<a href="%s">%s</a>%s04-Jan-2022 00:10 %19s' % (
                    html.escape(name, quote=True), shown, ' ' * max(1, 51 - len(shown)), '-' if size is None else size))
            lines.append('</pre><hr></body>\r\n</html>\r\n')
            return '\r\n'.join(lines).encode()
        out = ['<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">', '<html>', ' <head>',
               '  <title>Index of %s</title>' % title.rstrip('/'), ' </head>', ' <body>',
               '<h1>Index of %s</h1>' % title.rstrip('/'), '  <table>',
               '   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a>'
               '</th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th>'
               '<a href="?C=D;O=A">Description</a></th></tr>', '   <tr><th colspan="5"><hr></th></tr>']
        if folder:
            parent = '/' + folder.rsplit('/', 1)[0] + '/' if '/' in folder else '/'
            out.append('<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="%s">'
                       'Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>'
                       % parent)
        for name, size in rows:
            icon, alt = ('/icons/folder.gif', '[DIR]') if size is None else ('/icons/compressed.gif', '[   ]')
            out.append('<tr><td valign="top"><img src="%s" alt="%s"></td><td><a href="%s">%s</a></td>'
                       '<td align="right">2022-01-04 00:10  </td><td align="right">%s</td><td>&nbsp;</td></tr>'
                       % (icon, alt, html.escape(name, quote=True), html.escape(name[:40]),
                          '  - ' if size is None else apache_size(size)))
        out += ['   <tr><th colspan="5"><hr></th></tr>', '</table>', '</body></html>', '']
        return '\n'.join(out).encode()

    def index_files(self, project, collector, kind):
        """(path, start unix, duration) of a collector's files of one kind ('updates' / 'ribs')."""
        found = []
        for path in self.tree:
            parts = path.split('/')
            if parts[0] != project:
                continue
            name = parts[-1]
            if project == 'ris':
                if parts[1] != collector:
                    continue
                ok = name.startswith('updates.') if kind == 'updates' else name.startswith('bview.')
                duration = 300 if kind == 'updates' else 0
            else:
                folder = 'bgpdata' if collector == 'route-views2' else collector
                if parts[1] != folder:
                    continue
                ok = name.startswith('updates.') if kind == 'updates' else name.startswith('rib.')
                duration = 900 if kind == 'updates' else 0
            if not ok:
                continue
            stamp = name.split('.')[1] + name.split('.')[2]
            start = int(time.mktime(time.strptime(stamp, '%Y%m%d%H%M'))) - time.timezone
            found.append((path, start, duration))
        return sorted(found, key=lambda f: f[1])


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    archive = None

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        self.archive.requests.append((time.time(), self.command, self.path, status, self.headers.get('Range')))
        if self.archive.log:
            self.archive.log.write('%.3f %s %s %d %s\n' % (time.time(), self.command, self.path, status,
                                                          self.headers.get('Range', '-')))
            self.archive.log.flush()

    def simple(self, status, body=b'', content_type='text/plain', extra=None):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self.note(status)

    def base_url(self):
        return 'http://%s:%d/' % self.server.server_address[:2]

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path).lstrip('/')
        if path.startswith('bgpstream/data'):
            return self.bgpstream(urllib.parse.parse_qs(url.query))
        if path.startswith('bgpkit/search'):
            return self.bgpkit(urllib.parse.parse_qs(url.query))
        if path == '' or path.endswith('/'):
            page = self.archive.listing_page(path.rstrip('/'))
            if page is None:
                return self.simple(404, b'not found')
            return self.simple(200, page, 'text/html;charset=UTF-8')
        if path not in self.archive.tree:
            return self.simple(404, b'not found')
        return self.file(path)

    def file(self, path):
        body = self.archive.tree[path][0]
        fault = self.archive.faults.get(path, [''])
        n = self.archive.count(path)
        kind = fault[0]
        limit = int(fault[1]) if len(fault) > 1 and fault[1] else 0
        active = limit == 0 or n <= limit
        if kind == '404' or (kind == 'late' and n <= limit):
            return self.simple(404, b'not found')
        if kind == '500' and active:
            return self.simple(500, b'<html>internal error</html>', 'text/html')
        if kind == '503' and active:
            retry_after = fault[2] if len(fault) > 2 else '1'
            return self.simple(503, b'<html>busy</html>', 'text/html', {'Retry-After': retry_after})
        start, end = 0, len(body)
        status = 200
        rng = self.headers.get('Range')
        if rng and rng.startswith('bytes='):
            first = rng[6:].split('-')[0]
            if first.isdigit():
                start = int(first)
                if start >= len(body):
                    return self.simple(416, b'', extra={'Content-Range': 'bytes */%d' % len(body)})
                status = 206
        self.send_response(status)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(end - start))
        if status == 206:
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, end - 1, len(body)))
        self.send_header('Accept-Ranges', 'bytes')
        self.end_headers()
        self.note(status)
        if self.command == 'HEAD':
            return
        chunk = body[start:end]
        if kind in ('truncate', 'reset', 'stall') and active:
            half = max(1, len(chunk) // 2)
            self.wfile.write(chunk[:half])
            self.wfile.flush()
            if kind == 'stall':
                time.sleep(float(fault[2]) if len(fault) > 2 else 10)
            elif kind == 'reset':
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.close_connection = True
            return
        self.send_paced(chunk)

    def send_paced(self, data):
        if not self.archive.rate:
            self.wfile.write(data)
            return
        step = 64 * 1024
        t0 = time.monotonic()
        for offset in range(0, len(data), step):
            self.wfile.write(data[offset:offset + step])
            due = t0 + (offset + step) / self.archive.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def bgpstream(self, query):
        try:
            start, end = (int(x) for x in query['intervals[]'][0].split(','))
        except (KeyError, ValueError):
            return self.simple(400, b'{"error":"intervals"}', 'application/json')
        resources = []
        for project in query.get('projects[]', ['ris', 'routeviews']):
            for collector in query.get('collectors[]', []):
                for kind in query.get('types[]', ['updates']):
                    for path, t, duration in self.archive.index_files(project, collector, kind):
                        if start <= t <= end:
                            resources.append({'url': self.base_url() + path, 'project': project,
                                              'collector': collector, 'type': kind, 'initialTime': t,
                                              'duration': duration})
        resources = resources[:5]  # a window at a time, as the broker answers
        body = json.dumps({'time': int(time.time()), 'type': 'data', 'error': None,
                           'queryParameters': {}, 'data': {'resources': resources}}).encode()
        self.simple(200, body, 'application/json')

    def bgpkit(self, query):
        def ts(name):
            return int(time.mktime(time.strptime(query[name][0][:19], '%Y-%m-%dT%H:%M:%S'))) - time.timezone
        try:
            start, end = ts('ts_start'), ts('ts_end')
            page = int(query.get('page', ['1'])[0])
            size = min(1000, int(query.get('page_size', ['100'])[0]))
        except (KeyError, ValueError):
            return self.simple(400, b'{"error":"bad query"}', 'application/json')
        kind = {'updates': 'updates', 'rib': 'ribs'}.get(query.get('data_type', ['updates'])[0], 'updates')
        items = []
        for collector in query.get('collector_id', [''])[0].split(','):
            project = 'ris' if collector.startswith('rrc') else 'routeviews'
            for path, t, duration in self.archive.index_files(project, collector, kind):
                if start <= t <= end:
                    items.append({'ts_start': time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)),
                                  'ts_end': time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t + duration)),
                                  'collector_id': collector, 'data_type': 'rib' if kind == 'ribs' else 'updates',
                                  'url': self.base_url() + path, 'rough_size': self.archive.listed_sizes[path],
                                  'exact_size': self.archive.listed_sizes[path]})
        chunk = items[(page - 1) * size:page * size]
        body = json.dumps({'total': len(items), 'count': len(chunk), 'page': page, 'page_size': size,
                           'error': None, 'data': chunk}).encode()
        self.simple(200, body, 'application/json')


def start(shared, faults=(), listing='apache', rate=0, copies=0, log=None, port=0, replay=None):
    """Starts the server on 127.0.0.1 in a thread; returns (server, archive). server.shutdown() stops it."""
    archive = Archive(shared, faults, listing, rate, copies, log, replay)
    handler = type('BoundHandler', (Handler,), {'archive': archive})
    server = ThreadingHTTPServer(('127.0.0.1', port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, archive


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--shared', help='the ../shared folder (its data/mrt holds the real files)')
    parser.add_argument('--replay', help="a simulator's mrt/ folder to publish at accelerated time")
    parser.add_argument('--replay-clock', help='TIME@SPEED: the replay clock (e.g. 2022-01-04T00:00:00Z@600)')
    parser.add_argument('--publish-delay', type=float, default=60,
                        help='seconds (replay time) after its interval ends that a file appears')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--fault', action='append', default=[])
    parser.add_argument('--listing', choices=['apache', 'nginx'], default='apache')
    parser.add_argument('--rate', type=float, default=0)
    parser.add_argument('--copies', type=int, default=0)
    parser.add_argument('--log')
    args = parser.parse_args()
    if not args.shared and not args.replay:
        parser.error('give --shared or --replay')
    if args.replay and not args.replay_clock:
        parser.error('--replay needs --replay-clock TIME@SPEED')
    replay = (args.replay, args.replay_clock, args.publish_delay) if args.replay else None
    server, _ = start(args.shared, args.fault, args.listing, args.rate, args.copies, args.log, args.port, replay)
    print('port %d' % server.server_address[1], flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == '__main__':
    sys.exit(main())
