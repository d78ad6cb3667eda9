#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""`vigil fetch` and `vigil collectors --refresh` against the project's loopback test archive (archive_server.py,
serving the real MRT files of ../shared/data/mrt in RIS and RouteViews layouts). One case per fault switch:
each checks what the user sees (per-file lines, warnings, the summary line, the exit status) and that the cache
holds only byte-exact copies of the archive's real files under final names (nothing wrong lands in it).
Run one case with --case NAME (CTest registers each); --list prints the names."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import archive_server  # noqa: E402

SKIP = 77
ARGS = None
RRC00_UPD = 'ris/rrc00/2022.01/updates.20220104.0005.gz'
RRC00_BVIEW = 'ris/rrc00/2022.01/bview.20220104.0000.gz'
RV2_UPD = 'routeviews/bgpdata/2022.01/UPDATES/updates.20220104.0015.bz2'
RV2_RIB = 'routeviews/bgpdata/2022.01/RIBS/rib.20220104.0000.bz2'


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


class Run:
    def __init__(self, proc, seconds):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.seconds = seconds

    def __str__(self):
        return 'exit %d\n--- stdout\n%s--- stderr\n%s' % (self.code, self.out, self.err)


class Case:
    """A fresh cache and an archive server with the given faults."""

    def __init__(self, faults=(), listing='apache'):
        self.work = tempfile.mkdtemp(prefix='vigil-fetch-')
        self.cache = os.path.join(self.work, 'cache')
        self.server, self.archive = archive_server.start(ARGS.shared, list(faults), listing)
        self.base = 'http://127.0.0.1:%d/' % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.work, ignore_errors=True)

    def vigil(self, *args, timeout=60):
        t0 = time.monotonic()
        proc = subprocess.run([ARGS.vigil, *args], capture_output=True, text=True, timeout=timeout)
        run = Run(proc, time.monotonic() - t0)
        print('$ vigil %s\n%s' % (' '.join(args), run))
        return run

    def fetch(self, collectors='rrc00,route-views2', types='updates,ribs', extra=(), cache=None):
        return self.vigil('fetch', '--collectors', collectors, '--from', '2022-01-04', '--until', '2022-01-05',
                          '--types', types, '--cache', cache or self.cache, '--archive-url',
                          'ris=%sris/,routeviews=%srouteviews/' % (self.base, self.base),
                          '--tries', '3', '--backoff', '0.05', '--stall-timeout', '1', '--connect-timeout', '2',
                          *extra)

    def published(self, collectors=('rrc00', 'bgpdata')):
        """Paths the archive lists for these collector folders (all types)."""
        return {p for p in self.archive.originals if p.split('/')[1] in collectors}

    def cached(self):
        found = set()
        for folder, _, names in os.walk(self.cache):
            for name in names:
                found.add(os.path.relpath(os.path.join(folder, name), self.cache))
        return found

    def check_cache(self, expected):
        """Exactly `expected` under final names, each byte-identical to the archive's real file. A .part may stay
        (for the next run to resume) only as a true prefix of the real file."""
        found = set()
        for path in self.cached():
            if path.endswith('.part'):
                with open(os.path.join(self.cache, path), 'rb') as f:
                    part = f.read()
                real = self.archive.originals[path[:-5]][0]
                check(0 < len(part) < len(real) and real.startswith(part), '%s is not a prefix of the file' % path)
            else:
                found.add(path)
        check(found == set(expected), 'cache differs from the expected files: %s' % sorted(found ^ set(expected)))
        for path in found:
            with open(os.path.join(self.cache, path), 'rb') as f:
                check(f.read() == self.archive.originals[path][0], '%s differs from the archive\'s real file' % path)

    def file_gets_any(self):
        return [r for r in self.archive.requests if r[1] == 'GET' and not r[2].endswith('/')]

    def file_gets(self, path):
        return [r for r in self.archive.requests if r[1] == 'GET' and r[2] == '/' + path]


def summary(run):
    m = re.search(r'^fetch: (\d+) files: (\d+) verified, (\d+) cached, (\d+) gap, (\d+) failed;', run.out, re.M)
    check(m is not None, 'no summary line in stdout')
    return tuple(int(x) for x in m.groups())


# ---------------------------------------------------------------------------------------------------------------
# Cases

def case_baseline(c):
    """Every listed file of RIS and RouteViews layouts, byte-exact; a rerun downloads nothing."""
    run = c.fetch()
    expected = c.published()
    check(run.code == 0, 'exit status')
    check(summary(run) == (len(expected), len(expected), 0, 0, 0), 'summary counts')
    check(run.err == '', 'nothing on stderr without a terminal')
    c.check_cache(expected)
    gets = len([r for r in c.archive.requests if not r[2].endswith('/')])
    rerun = c.fetch()
    check(summary(rerun) == (len(expected), 0, len(expected), 0, 0), 'rerun counts everything as cached')
    check(len([r for r in c.archive.requests if not r[2].endswith('/')]) == gets, 'rerun downloaded a file')
    c.check_cache(expected)


def case_nginx_listing(c):
    """nginx-shaped listings (exact sizes) give the same files."""
    run = c.fetch()
    check(run.code == 0 and summary(run)[1] == len(c.published()), 'all verified')
    c.check_cache(c.published())


def case_index_bgpkit(c):
    """bgpkit broker v3 (/search, pages) in place of the listings: the same files in the same cache paths."""
    run = c.vigil('fetch', '--collectors', 'rrc00,route-views2', '--from', '2022-01-04', '--until', '2022-01-05',
                  '--types', 'updates,ribs', '--cache', c.cache, '--index', 'bgpkit=%sbgpkit' % c.base)
    check(run.code == 0 and summary(run)[1] == len(c.published()), 'all verified')
    check(not any(r[2].endswith('/') for r in c.archive.requests), 'no folder listing read')
    c.check_cache(c.published())


def case_index_bgpstream(c):
    """BGPStream broker v2 (/data, a window at a time): the same files."""
    run = c.vigil('fetch', '--collectors', 'rrc00,route-views2', '--from', '2022-01-04', '--until', '2022-01-05',
                  '--types', 'updates,ribs', '--cache', c.cache, '--index', 'bgpstream=%sbgpstream' % c.base)
    check(run.code == 0 and summary(run)[1] == len(c.published()), 'all verified')
    check(len([r for r in c.archive.requests if 'bgpstream' in r[2]]) > 2, 'several windows asked')
    c.check_cache(c.published())


def case_list_only(c):
    """--list-only (nginx listings: exact sizes): per collector and type the files and bytes the archive lists,
    and per day of the one-day range; no file is downloaded and no cache is made."""
    run = c.fetch(extra=('--list-only',))
    check(run.code == 0, 'exit status')
    rows = [line.split('\t') for line in run.out.splitlines() if line and not line.startswith('#')]
    check(rows[0] == ['collector', 'type', 'files', 'listed_bytes', 'bytes_per_day', 'files_without_size'], 'header')
    expected = {}
    for path in c.published():
        name = path.rsplit('/', 1)[1]
        collector = 'rrc00' if path.split('/')[1] == 'rrc00' else 'route-views2'
        kind = 'updates' if name.startswith('updates') else 'ribs'
        files, size = expected.get((collector, kind), (0, 0))
        expected[(collector, kind)] = (files + 1, size + len(c.archive.originals[path][0]))
    got = {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows[1:]}
    check(got == expected, 'listed files and bytes %s, the archive holds %s' % (got, expected))
    check(all(r[4] == r[3] and r[5] == '0' for r in rows[1:]), 'a one-day range: bytes per day = bytes listed')
    check(not c.file_gets_any(), 'a file was downloaded')
    check(not os.path.exists(c.cache), 'a cache was made')


def case_gap_404(c):
    """A listed file answering 404 is a gap: named, counted, the run goes on, exit 0."""
    run = c.fetch()
    check(run.code == 0, 'a gap is not a failure')
    check(re.search(r'^gap \S*%s: HTTP 404 for a listed file$' % re.escape(RRC00_UPD), run.out, re.M), 'gap line')
    check(summary(run)[3] == 1, 'one gap')
    c.check_cache(c.published() - {RRC00_UPD})


def case_http_500(c):
    """A file that always answers 500 fails after the bounded tries; a file that answers 500 twice is fetched."""
    run = c.fetch()
    check(run.code == 1, 'exit 1 when a file failed')
    check(re.search(r'^failed \S*%s: HTTP 500 \(after 3 tries\)$' % re.escape(RRC00_UPD), run.out, re.M), 'line')
    check(len(c.file_gets(RRC00_UPD)) == 3, 'exactly 3 tries')
    check(len(c.file_gets(RV2_UPD)) == 3, 'the flaky file was retried until it came')
    c.check_cache(c.published() - {RRC00_UPD})


def case_retry_after_503(c):
    """503 with Retry-After: 2 -> the next try waits for it (not the 0.05 s backoff)."""
    run = c.fetch()
    check(run.code == 0, 'fetched in the end')
    gets = c.file_gets(RRC00_UPD)
    check(len(gets) == 2 and gets[0][3] == 503 and gets[1][3] == 200, '503 then 200')
    check(gets[1][0] - gets[0][0] >= 1.9, 'Retry-After honoured (%.2f s)' % (gets[1][0] - gets[0][0]))
    c.check_cache(c.published())


def case_retry_after_too_long(c):
    """A Retry-After beyond the limit fails the file at once, named."""
    run = c.fetch(extra=['--max-retry-after', '10'])
    check(run.code == 1 and 'Retry-After 3600 s, above the limit' in run.out, 'failed line')
    check(len(c.file_gets(RRC00_UPD)) == 1, 'no further try')
    c.check_cache(c.published() - {RRC00_UPD})


def case_truncated_body(c):
    """A body cut short: the next try resumes with Range from the bytes kept; the file is exact."""
    run = c.fetch()
    check(run.code == 0, 'fetched')
    gets = c.file_gets(RRC00_BVIEW)
    check(len(gets) == 2 and gets[1][3] == 206 and gets[1][4] and gets[1][4].startswith('bytes='), 'resumed')
    c.check_cache(c.published())


def case_connection_reset(c):
    """A reset mid-body: retried, resumed with Range, exact."""
    run = c.fetch()
    check(run.code == 0, 'fetched')
    gets = c.file_gets(RRC00_BVIEW)
    check(len(gets) == 2 and gets[1][3] == 206, 'resumed after the reset')
    c.check_cache(c.published())


def case_stall(c):
    """A 10 s stall mid-body ends after the 1 s stall timeout; the retry completes well before the stall would."""
    run = c.fetch()
    check(run.code == 0, 'fetched')
    check(run.seconds < 5, 'did not wait for the stall (%.1f s)' % run.seconds)
    check(len(c.file_gets(RRC00_BVIEW)) == 2, 'one retry')
    c.check_cache(c.published())


def case_appears_late(c):
    """A listed file not there yet is a gap on this run and fetched on the next."""
    first = c.fetch()
    check(first.code == 0 and summary(first)[3] == 1, 'a gap first')
    c.check_cache(c.published() - {RRC00_UPD})
    second = c.fetch()
    check(second.code == 0 and summary(second)[1] == 1, 'verified on the rerun, the others cached')
    c.check_cache(c.published())


def case_size_changed(c):
    """A file that grew after it was listed is refused (named); it does not land, nothing half-written stays."""
    run = c.fetch()
    check(run.code == 1 and re.search(r'^failed \S*%s: size changed since listing' % re.escape(RRC00_BVIEW),
                                      run.out, re.M), 'failed line')
    c.check_cache(c.published() - {RRC00_BVIEW})


def case_corrupt(c):
    """A flipped byte (gzip CRC) and a real truncated bzip2 are refused as corrupt."""
    run = c.fetch()
    check(run.code == 1, 'exit 1')
    check(re.search(r'^failed \S*%s: corrupt' % re.escape(RRC00_UPD), run.out, re.M), 'gzip line')
    check(re.search(r'^failed \S*%s: corrupt' % re.escape(RV2_RIB), run.out, re.M), 'bzip2 line')
    c.check_cache(c.published() - {RRC00_UPD, RV2_RIB})


def case_decompression_bomb(c):
    """64 MB of zeros in a 64 kB gzip: refused by the ratio limit, named."""
    run = c.fetch()
    check(run.code == 1 and re.search(r'^failed \S*%s: decompression ratio above 100' % re.escape(RRC00_UPD),
                                      run.out, re.M), 'failed line')
    c.check_cache(c.published() - {RRC00_UPD})


def case_size_limit(c):
    """--max-file-size: a larger file is refused, named; the others land."""
    run = c.fetch(extra=['--max-file-size', '500k'])
    check(run.code == 1 and re.search(r'^failed \S*%s: larger than the size limit' % re.escape(RRC00_BVIEW),
                                      run.out, re.M), 'failed line')
    c.check_cache(c.published() - {RRC00_BVIEW})


def case_garbage_listing(c):
    """A month folder answering random bytes: a warning naming it; the other collector's files still land."""
    run = c.fetch()
    check(run.code == 0, 'exit 0')
    check(re.search(r'warning: listing \S*ris/rrc00/2022.01/: no entries', run.err), 'warning names the listing')
    c.check_cache(c.published(('bgpdata',)))


def case_evil_names(c):
    """Names with ../, /, %0a, 300 bytes, absolute paths: each refused with a warning; nothing outside the cache."""
    run = c.fetch()
    check(run.code == 0, 'exit 0')
    refused = re.findall(r'warning: listing \S+: refused unsafe name', run.err)
    check(len(refused) == 6, '6 refused names (%d)' % len(refused))
    c.check_cache(c.published())
    outside = [n for n in os.listdir(c.work) if n != 'cache']
    check(outside == [], 'files outside the cache: %s' % outside)


def case_unreachable(c):
    """An archive nobody listens on: one line naming the URL, exit 2."""
    run = c.vigil('fetch', '--collectors', 'rrc00', '--from', '2022-01-04', '--until', '2022-01-05', '--cache',
                  c.cache, '--archive-url', 'ris=http://127.0.0.1:9/', '--tries', '2', '--backoff', '0.05')
    lines = run.err.strip().split('\n')
    check(run.code == 2 and len(lines) == 1, 'one line, exit 2')
    check(lines[0].startswith('vigil fetch: archive unreachable: http://127.0.0.1:9/rrc00/2022.01/'), 'names it')
    check(not os.path.exists(c.cache), 'no cache created')


def case_bad_flags(c):
    """Each bad flag: one line naming it, exit 2, nothing fetched."""
    common = ['--from', '2022-01-04', '--until', '2022-01-05', '--cache', c.cache]
    for args, needle in ((['--collectors', 'rrc99'] + common, "unknown collector 'rrc99'"),
                         (['--collectors', 'rrc00', '--types', 'bviews'] + common, "--types: unknown file type"),
                         (['--collectors', 'rrc00', '--archive-url', 'ris=ftp://x/'] + common, '--archive-url'),
                         (['--collectors', 'rrc00', '--index', 'caida=http://x/'] + common, '--index'),
                         (['--collectors', 'rrc00', '--bandwidth', 'fast'] + common, '--bandwidth'),
                         (['--collectors', 'rrc00', '--from', '2022-01-05', '--until', '2022-01-04', '--cache',
                           c.cache], '--until must be after --from')):
        run = c.vigil('fetch', *args)
        check(run.code == 2 and run.err.count('\n') == 1 and needle in run.err, 'one line naming %s' % needle)
    check(c.archive.requests == [] and not os.path.exists(c.cache), 'nothing asked, nothing written')


def case_bandwidth(c):
    """--bandwidth 1M over ~1.6 MB takes over a second; without it, a fraction."""
    run = c.fetch(collectors='rrc00', types='ribs', extra=['--bandwidth', '1M'])
    check(run.code == 0, 'fetched')
    check(run.seconds >= 0.9, 'rate limited (%.2f s)' % run.seconds)
    c.check_cache({RRC00_BVIEW})


def case_collectors_refresh(c):
    """--refresh from the top-level listings: a collector missing from the table comes back as new, months
    become the archive's (2022.01 only, so last month 2022-01-01), and the written table parses again."""
    table = os.path.join(c.work, 'collectors.tsv')
    with open(os.path.join(ARGS.source, 'data', 'collectors.tsv')) as f:
        text = ''.join(line for line in f if not line.startswith('rrc25\t'))
    with open(table, 'w') as f:
        f.write(text)
    run = c.vigil('collectors', '--refresh', '--table', table, '--archive-url',
                  'ris=%sris/,routeviews=%srouteviews/' % (c.base, c.base), '--tries', '2', '--backoff', '0.05')
    check(run.code == 0, 'exit 0')
    check('rrc25: new collector (ris, %sris/rrc25/)' % c.base in run.out, 'new collector note')
    check('rrc00: months 2022-01-01 .. 2022-01-01' in run.out, 'rrc00 months')
    check('route-views2: months 2022-01-01 .. 2022-01-01' in run.out, 'route-views2 at /bgpdata/')
    listed = c.vigil('collectors', '--table', table)
    check(listed.code == 0 and re.search(r'^rrc25 +ris .*2022-01-01 2022-01-01', listed.out, re.M), 'rrc25 row')
    check(re.search(r'^rrc02 +ris .* 2001-03-01 2008-10-01', listed.out, re.M), 'unlisted rows kept')


def case_disk_full(c):
    """The cache on a tiny tmpfs: the run stops with one clear line, exit 2; only verified files remain, no .part."""
    if shutil.which('unshare') is None:
        print('SKIP: needs unshare(1)')
        raise SystemExit(SKIP)
    map_root = [] if os.geteuid() == 0 else ['--map-root-user']
    mount = os.path.join(c.work, 'small')
    os.makedirs(mount)
    cmd = ('mount -t tmpfs -o size=1m tmpfs %s && exec "$@"' % mount)
    args = ['fetch', '--collectors', 'rrc00,route-views2', '--from', '2022-01-04', '--until', '2022-01-05', '--types',
            'updates,ribs', '--cache', mount, '--jobs', '1', '--archive-url',
            'ris=%sris/,routeviews=%srouteviews/' % (c.base, c.base), '--tries', '2', '--backoff', '0.05']
    inner = ('cd %s && %s' % (mount, 'find . -type f | sort > %s/listing; for f in $(find . -type f); do '
             'sha256sum "$f"; done > %s/sums' % (c.work, c.work)))
    script = 'mount -t tmpfs -o size=1m tmpfs %s || exit 77; %s %s; echo "rc=$?"; %s' % (
        mount, ARGS.vigil, ' '.join("'%s'" % a for a in args), inner)
    proc = subprocess.run(['unshare', '--mount', *map_root, '--propagation', 'private', 'sh', '-c', script],
                          capture_output=True, text=True, timeout=60)
    print(proc.stdout, proc.stderr)
    if proc.returncode == 77 or 'rc=' not in proc.stdout:
        print('SKIP: cannot mount a small tmpfs here (needs root or unprivileged user namespaces)')
        raise SystemExit(SKIP)
    check('rc=2' in proc.stdout, 'exit 2 on a full disk')
    err = [line for line in proc.stderr.strip().split('\n') if line]
    check(len(err) == 1 and err[0].startswith('vigil fetch: disk full writing ') and 'stopping the run' in err[0],
          'one line saying the disk is full')
    with open(os.path.join(c.work, 'listing')) as f:
        listing = [line.strip()[2:] for line in f if line.strip()]
    check(not any(p.endswith('.part') for p in listing), 'no .part left')
    check(len(listing) < len(c.published()), 'the disk did fill')
    import hashlib
    with open(os.path.join(c.work, 'sums')) as f:
        for line in f:
            digest, path = line.split()
            path = path[2:]
            check(hashlib.sha256(c.archive.originals[path][0]).hexdigest() == digest, '%s is exact' % path)


CASES = {
    'baseline': ((), 'apache', case_baseline),
    'nginx_listing': ((), 'nginx', case_nginx_listing),
    'index_bgpkit': ((), 'apache', case_index_bgpkit),
    'index_bgpstream': ((), 'apache', case_index_bgpstream),
    'list_only': ((), 'nginx', case_list_only),
    'gap_404': ((RRC00_UPD + '=404',), 'apache', case_gap_404),
    'http_500': ((RRC00_UPD + '=500:0', RV2_UPD + '=500:2'), 'apache', case_http_500),
    'retry_after_503': ((RRC00_UPD + '=503:1:2',), 'apache', case_retry_after_503),
    'retry_after_too_long': ((RRC00_UPD + '=503:0:3600',), 'apache', case_retry_after_too_long),
    'truncated_body': ((RRC00_BVIEW + '=truncate:1',), 'apache', case_truncated_body),
    'connection_reset': ((RRC00_BVIEW + '=reset:1',), 'apache', case_connection_reset),
    'stall': ((RRC00_BVIEW + '=stall:1:10',), 'apache', case_stall),
    'appears_late': ((RRC00_UPD + '=late:1',), 'apache', case_appears_late),
    'size_changed': ((RRC00_BVIEW + '=grow',), 'apache', case_size_changed),
    'corrupt': ((RRC00_UPD + '=corrupt', RV2_RIB + '=truncated-bz2'), 'apache', case_corrupt),
    'decompression_bomb': ((RRC00_UPD + '=bomb',), 'apache', case_decompression_bomb),
    'size_limit': ((), 'apache', case_size_limit),
    'garbage_listing': ((RRC00_UPD + '=garbage-listing',), 'apache', case_garbage_listing),
    'evil_names': ((RRC00_UPD + '=evil-names',), 'apache', case_evil_names),
    'unreachable': ((), 'apache', case_unreachable),
    'bad_flags': ((), 'apache', case_bad_flags),
    'bandwidth': ((), 'apache', case_bandwidth),
    'collectors_refresh': ((), 'apache', case_collectors_refresh),
    'disk_full': ((), 'apache', case_disk_full),
}


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--vigil')
    parser.add_argument('--shared')
    parser.add_argument('--source')
    parser.add_argument('--case')
    parser.add_argument('--list', action='store_true')
    ARGS = parser.parse_args()
    if ARGS.list:
        print('\n'.join(CASES))
        return 0
    names = [ARGS.case] if ARGS.case else list(CASES)
    failed = 0
    for name in names:
        faults, listing, fn = CASES[name]
        c = Case(faults, listing)
        try:
            fn(c)
            print('PASS %s' % name)
        except Failure as e:
            print('FAIL %s: %s' % (name, e))
            failed += 1
        finally:
            c.close()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
