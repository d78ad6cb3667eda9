#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Hostile inputs through the CLI: every case must end with a non-zero exit (not a signal), no sanitizer
report, and an error on stderr that names the input (and, for MRT, the byte offset).

MRT: for every (record type, subtype) found in ../shared/data/mrt, the first such record (after its file's
PEER_INDEX_TABLE when it needs one) is written truncated inside its header, inside its body and one byte
short, and with its length field shrunk or grown, then read with `vigil mrt dump -m` and `vigil mrt stat`.
Scenarios: truncated, non-JSON, wrong types, out-of-range values, deep nesting, for `vigil sim`.
Geo: CSV worlds with bad rows or missing files, for `vigil geo lookup`."""
import argparse
import bz2
import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

failures = []
cases = 0


def decompress(path):
    data = open(path, 'rb').read()
    try:
        if data[:2] == b'\x1f\x8b':
            d = zlib.decompressobj(zlib.MAX_WBITS | 16)
            return d.decompress(data)
        if data[:3] == b'BZh':
            return bz2.BZ2Decompressor().decompress(data)
    except (OSError, EOFError, zlib.error):
        return b''
    return data


def records(raw):
    pos = 0
    while len(raw) - pos >= 12:
        _, rtype, sub, length = struct.unpack_from('>IHHI', raw, pos)
        if pos + 12 + length > len(raw):
            return
        yield rtype, sub, raw[pos:pos + 12 + length]
        pos += 12 + length


def run(args, name, input_path, need_offset):
    global cases
    cases += 1
    p = subprocess.run(args, capture_output=True, text=True, errors='replace', timeout=60)
    err = p.stderr
    problem = None
    if p.returncode < 0 or p.returncode >= 128:
        problem = 'died with %s' % (('signal %d' % -p.returncode) if p.returncode < 0 else 'exit %d' % p.returncode)
    elif re.search(r'AddressSanitizer|runtime error|UndefinedBehaviorSanitizer|terminate called', err):
        problem = 'sanitizer or terminate report'
    elif p.returncode == 0:
        problem = 'exit 0 on a bad input'
    elif not err.strip():
        problem = 'no message on stderr'
    else:
        first = err.strip().splitlines()[0]
        if os.path.basename(input_path) not in first:
            problem = 'first message does not name the input: %r' % first
        elif need_offset and not re.search(r'offset \d+', first):
            problem = 'first message gives no byte offset: %r' % first
    if problem:
        failures.append('%s: %s\n    %s\n    stderr: %s' % (name, problem, ' '.join(args), err.strip()[:400]))


def mrt_cases(vigil, shared, work):
    mrt_dir = os.path.join(shared, 'data', 'mrt')
    seen = {}
    for name in sorted(os.listdir(mrt_dir)):
        path = os.path.join(mrt_dir, name)
        if not os.path.isfile(path) or name.endswith(('.md', '.tsv')):
            continue
        peer_table = b''
        for rtype, sub, rec in records(decompress(path)):
            if rtype == 13 and sub == 1:
                peer_table = rec
            if (rtype, sub) in seen or len(rec) < 16:
                continue
            context = peer_table if rtype == 13 and (rtype, sub) != (13, 1) else b''
            seen[(rtype, sub)] = (name, context, rec)
    if len(seen) < 5:
        failures.append('mrt: only %d record kinds found under %s' % (len(seen), mrt_dir))
    for (rtype, sub), (source, context, rec) in sorted(seen.items()):
        length = len(rec) - 12
        variants = {
            'cut-in-header': rec[:7],
            'cut-mid-body': rec[:12 + length // 2],
            'one-byte-short': rec[:-1],
            'length-grown': rec[:8] + struct.pack('>I', length + 1000) + rec[12:],
            'length-shrunk': rec[:8] + struct.pack('>I', max(0, length // 3)) + rec[12:] + b'\xff' * 12,
        }
        for variant, body in variants.items():
            fname = os.path.join(work, 'mrt-%d-%d-%s.mrt' % (rtype, sub, variant))
            with open(fname, 'wb') as f:
                f.write(context + body)
            label = 'mrt %d/%d %s (from %s)' % (rtype, sub, variant, source)
            run([vigil, 'mrt', 'dump', '-m', fname], label + ' dump', fname, True)
            run([vigil, 'mrt', 'stat', fname], label + ' stat', fname, True)
            if variant != 'cut-mid-body':
                continue
            # The same bytes gzip-compressed: the offset is still the decompressed one.
            gz = fname + '.gz'
            with open(gz, 'wb') as f:
                f.write(gzip.compress(context + body))
            run([vigil, 'mrt', 'dump', '-m', gz], label + ' dump .gz', gz, True)
    # A compressed stream cut short.
    some = os.path.join(mrt_dir, 'ripe-bgpdump.updates.20020722.2238.gz')
    if os.path.exists(some):
        data = open(some, 'rb').read()
        cut = os.path.join(work, 'cut-stream.gz')
        with open(cut, 'wb') as f:
            f.write(data[:len(data) // 2])
        run([vigil, 'mrt', 'dump', '-m', cut], 'gzip stream cut in half', cut, False)
    return len(seen)


def scenario_cases(vigil, source_dir, work):
    base_text = open(os.path.join(source_dir, 'scenarios', 'dev', 'single-region.json')).read()
    base = json.loads(base_text)

    def changed(path, value):
        doc = json.loads(base_text)
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return json.dumps(doc)

    variants = {
        'empty': '',
        'truncated': base_text[:len(base_text) // 2],
        'not-json': 'scenario: yes\n',
        'array': '[]',
        'deep-nesting': '[' * 100000 + ']' * 100000,
        'start-not-a-time': changed(['start'], 'yesterday'),
        'end-before-start': changed(['end'], base['start']),
        'seed-string': changed(['seed'], 'x'),
        'huge-number': base_text.replace('"seed": %s' % json.dumps(base.get('seed')), '"seed": 1e400', 1)
        if 'seed' in base else '{"seed": 1e400}',
        'no-countries': changed(['countries'], []),
    }
    if base.get('regions'):
        variants['negative-slash24s'] = changed(['regions', 0, 'slash24s'], -5)
        variants['huge-slash24s'] = changed(['regions', 0, 'slash24s'], 10**15)
    if base.get('events'):
        variants['event-unknown-entity'] = changed(['events', 0, 'entity'], 'region/XX-NOPE')
        variants['event-fraction-2'] = changed(['events', 0, 'fraction'], 2.0)
    for variant, text in variants.items():
        fname = os.path.join(work, 'scenario-%s.json' % variant)
        with open(fname, 'w') as f:
            f.write(text)
        out = os.path.join(work, 'sim-out-' + variant)
        run([vigil, 'sim', fname, out], 'scenario ' + variant, fname, False)
        shutil.rmtree(out, ignore_errors=True)
    run([vigil, 'sim', os.path.join(work, 'missing.json'), os.path.join(work, 'sim-out')], 'scenario missing',
        'missing.json', False)
    return len(variants)


def geo_cases(vigil, work):
    # asn-ipv4.csv may be absent (a world without ASNs), so its absence is not a case here.
    good_geo = '198.18.0.0,198.18.3.255,KZ,KZ-ALA,,Almaty,,43.25,76.95,Asia/Almaty\n'
    good_asn = '198.18.0.0,198.18.3.255,9198,Kazakhtelecom\n'
    variants = {
        'bad-address': ('300.18.0.0,198.18.3.255,KZ,KZ-ALA,,,,,,Asia/Almaty\n', good_asn, 'geo-ipv4.csv'),
        'end-before-start': ('198.18.3.0,198.18.0.255,KZ,KZ-ALA,,,,,,Asia/Almaty\n', good_asn, 'geo-ipv4.csv'),
        'too-few-fields': ('198.18.0.0,198.18.3.255\n', good_asn, 'geo-ipv4.csv'),
        'binary': ('\x00\x01\x02garbage\xff' * 50, good_asn, 'geo-ipv4.csv'),
        'unterminated-quote': ('198.18.0.0,198.18.3.255,KZ,"KZ-ALA,,,,,,\n', good_asn, 'geo-ipv4.csv'),
        'asn-not-a-number': (good_geo, '198.18.0.0,198.18.3.255,AS-nine,Org\n', 'asn-ipv4.csv'),
        'asn-too-few-fields': (good_geo, '198.18.0.0,198.18.3.255\n', 'asn-ipv4.csv'),
    }
    for variant, (geo, asn, blamed) in variants.items():
        d = os.path.join(work, 'geo-' + variant)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, 'geo-ipv4.csv'), 'w', errors='surrogateescape') as f:
            f.write(geo)
        if asn is not None:
            with open(os.path.join(d, 'asn-ipv4.csv'), 'w') as f:
                f.write(asn)
        run([vigil, 'geo', 'lookup', '--geo', d, '--cache', '', '198.18.0.1'], 'geo ' + variant, blamed, False)
    return len(variants)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--vigil', required=True)
    ap.add_argument('--shared', required=True)
    ap.add_argument('--source', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--only', choices=['mrt', 'scenario', 'geo'])
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    if args.only in (None, 'mrt'):
        print('mrt record kinds: %d' % mrt_cases(args.vigil, args.shared, args.work))
    if args.only in (None, 'scenario'):
        print('scenario variants: %d' % scenario_cases(args.vigil, args.source, args.work))
    if args.only in (None, 'geo'):
        print('geo variants: %d' % geo_cases(args.vigil, args.work))
    print('%d cases, %d failed' % (cases, len(failures)))
    for f in failures:
        print('FAIL ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
