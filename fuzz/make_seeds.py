#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Writes the seed corpora under fuzz/corpus/<target>/ from the project's own inputs.

MRT seeds come from every file in ../shared/data/mrt (decompressed, split into single records; a RIB record
is preceded by its file's PEER_INDEX_TABLE so the decoder has peers to index). A few records of each
(type, subtype) of each file are kept, smallest first, so the corpus covers every record kind the archive
holds while staying small. Scenario seeds are scenarios/dev/*.json and scenarios/test/*.json; CSV and ICMP seeds are
built here.
Run from anywhere: python3 fuzz/make_seeds.py [--shared DIR]."""
import argparse
import bz2
import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PER_KIND = 6           # records kept per (file, type, subtype)
MAX_RECORD = 4096      # bytes; larger records are left to mutation
MAX_PEER_TABLE = 8192  # RIB seeds carry their peer table only when it is this small
DUMP_RECORDS = 12      # records per whole-file seed of mrt_dump_fuzz ...
DUMP_BYTES = 65536     # ... up to this size (larger inputs slow every mutation down)


def decompress(path):
    data = open(path, 'rb').read()
    if data[:2] == b'\x1f\x8b':
        out, d = b'', zlib.decompressobj(zlib.MAX_WBITS | 16)
        while data:
            try:
                out += d.decompress(data)
            except zlib.error:
                break  # truncated or corrupt tail: keep what decoded
            data = d.unused_data
            if not data:
                break
            d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        return out
    if data[:3] == b'BZh':
        out = b''
        while data:
            d = bz2.BZ2Decompressor()
            try:
                out += d.decompress(data)
            except (OSError, EOFError):
                break
            data = d.unused_data if d.eof else b''
        return out
    return data


def records(raw):
    pos = 0
    while len(raw) - pos >= 12:
        ts, rtype, sub, length = struct.unpack_from('>IHHI', raw, pos)
        end = pos + 12 + length
        if end > len(raw):
            break
        yield rtype, sub, raw[pos:end]
        pos = end


def write(target, blob):
    d = os.path.join(ROOT, 'fuzz', 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(blob).hexdigest()[:16]), 'wb') as f:
        f.write(blob)


def mrt_seeds(shared):
    mrt_dir = os.path.join(shared, 'data', 'mrt')
    for name in sorted(os.listdir(mrt_dir)):
        path = os.path.join(mrt_dir, name)
        if not os.path.isfile(path) or name.endswith(('.md', '.tsv')):
            continue
        raw = decompress(path)
        peer_table = None
        kinds = {}
        dump = []
        for rtype, sub, rec in records(raw):
            if len(dump) < DUMP_RECORDS and sum(map(len, dump)) + len(rec) <= DUMP_BYTES:
                dump.append(rec)
            if rtype == 13 and sub == 1:
                peer_table = rec
                if len(rec) <= MAX_PEER_TABLE:
                    kinds.setdefault((rtype, sub), []).append(rec)
                continue
            if len(rec) > MAX_RECORD:
                continue
            if rtype == 13 and peer_table is not None and len(peer_table) <= MAX_PEER_TABLE:
                rec = peer_table + rec
            kinds.setdefault((rtype, sub), []).append(rec)
        for recs in kinds.values():
            # Small and large ones: the smallest few plus evenly spaced picks by size.
            recs = sorted(set(recs), key=lambda r: (len(r), r))
            step = max(1, len(recs) // PER_KIND)
            for rec in (recs[:PER_KIND // 2] + recs[::step][:PER_KIND // 2]):
                write('mrt_record_fuzz', rec)
        if dump:
            blob = b''.join(dump)
            write('mrt_dump_fuzz', blob)
            write('mrt_record_fuzz', blob)
        if os.path.getsize(path) <= 2048:
            write('mrt_dump_fuzz', open(path, 'rb').read())  # compressed as published
    # One small plain seed in every compression the reader detects.
    small = b''.join(list(r for _, _, r in records(decompress(os.path.join(mrt_dir, 'mrtparse.quagga_bgp.mrt')))))
    write('mrt_dump_fuzz', gzip.compress(small))
    write('mrt_dump_fuzz', bz2.compress(small))
    if shutil.which('zstd'):
        write('mrt_dump_fuzz', subprocess.run(['zstd', '-q', '-c'], input=small, capture_output=True,
                                              check=True).stdout)


def scenario_seeds():
    for part in ('dev', 'test'):
        d = os.path.join(ROOT, 'scenarios', part)
        for name in sorted(os.listdir(d)):
            if name.endswith('.json'):
                write('scenario_fuzz', open(os.path.join(d, name), 'rb').read())


def csv_seeds():
    geo = [
        b'198.18.0.0,198.18.3.255,KZ,KZ-ALA,,Almaty,,43.25,76.95,Asia/Almaty\n'
        b'198.18.4.0,198.18.7.255,KZ,KZ-AST,,Astana,,51.17,71.43,Asia/Almaty\n',
        b'1.0.0.0,1.0.0.255,AU,Queensland,,"South Brisbane, QLD",4101,-27.48,153.02,Australia/Brisbane\n',
        b'16777216,16777471,AU,Queensland,,Brisbane,,-27.4,153.0,Australia/Brisbane\n',
        b'10.0.0.0,10.0.0.255,,,,,,,,\n10.0.0.128,10.0.1.0,KZ,,,,,,,\n',
    ]
    asn = [
        b'198.18.0.0,198.18.3.255,9198,"JSC Kazakhtelecom"\n198.18.4.0,198.18.4.255,21299,Kar-Tel LLC\n',
        b'1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n1.0.4.0,1.0.7.255,38803,"Wirefreebroadband ""Pty"""\n',
    ]
    for blob in geo + asn:
        write('geo_csv_fuzz', blob)


def checksum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def icmp_seeds():
    for ident, seq, slot, gen, target in [(0x1234, 7, 7, 1, 0xc6120101), (1, 0, 0, 0, 0), (0xffff, 65535, 65535, 9, 1)]:
        icmp = bytearray(struct.pack('>BBHHHIIIIQ', 0, 0, 0, ident, seq, 0x56474c31, slot, gen, target,
                                     0x0123456789abcdef))
        struct.pack_into('>H', icmp, 2, checksum(bytes(icmp)))
        write('icmp_reply_fuzz', bytes(icmp))
        for options in (b'', b'\x01\x01\x01\x00'):
            ihl = 5 + len(options) // 4
            ip = bytearray(struct.pack('>BBHHHBBH4s4s', 0x40 | ihl, 0, 4 * ihl + len(icmp), 0x4242, 0, 57, 1, 0,
                                       struct.pack('>I', target), b'\xc0\x00\x02\x01') + options)
            struct.pack_into('>H', ip, 10, checksum(bytes(ip)))
            write('icmp_reply_fuzz', bytes(ip) + bytes(icmp))
    # An echo request and a destination-unreachable: well-formed, not replies.
    write('icmp_reply_fuzz', bytes.fromhex('0800f7ff0000000056474c3100000000000000000000000000000000000000'))
    write('icmp_reply_fuzz', bytes.fromhex('0301fcfe00000000450000380000400040010000c0000201c6120101'))


def api_seeds():
    day = 1641340800
    requests = [
        'GET /v2/signals/raw/region/KZ-ALA?from=%d&until=%d&datasource=bgp' % (day, day + 86400),
        'GET /v2/signals/raw/country/KZ?from=2022-01-05&until=2022-01-06T00:00:00Z&maxPoints=50&sourceParams=x',
        'GET /v2/signals/raw/asn/9198?from=%d&until=%d&datasource=bgp,ping-slash24' % (day, day + 3600),
        'GET /v2/outages/alerts?from=%d&until=%d&entityType=region&entityCode=KZ-ALA&limit=10&page=0'
        % (day, day + 86400),
        'GET /v2/outages/events?from=%d&until=%d&includeAlerts&format=codf&ignoreMethods=bgp.median'
        % (day, day + 86400),
        'GET /v2/outages/summary?from=%d&until=%d&entityType=country' % (day, day + 86400),
        'GET /v2/entities/query?entityType=region&relatedTo=country/KZ&search=alm&limit=5',
        'GET /v2/datasources/bgp',
        'GET /api/v1/annotations?from=%d&until=%d&entity=region/KZ-ALA' % (day, day + 86400),
        'GET /api/v1/events/1/report?format=md',
        'GET /api/v1/schedules?entity=country/KZ',
        'GET /api/v1/export?entity=region/KZ-ALA&datasource=bgp&from=%d&until=%d&format=csv' % (day, day + 86400),
        'GET /api/v1/status', 'GET /api/v1/feed.atom', 'GET /metrics', 'GET /healthz', 'GET /openapi.json',
        'POST /api/v1/annotations\nAuthorization: Bearer 0123456789abcdef\nContent-Type: application/json\n\n'
        '{"entity":"region/KZ-ALA","kind":"note","start":"2022-01-05","end":"2022-01-06","text":"t"}',
        'DELETE /api/v1/webhooks/1\nOrigin: https://example.org\n\n',
        'OPTIONS /v2/outages/events\nOrigin: https://example.org\nAccess-Control-Request-Method: POST\n\n',
    ]
    for r in requests:
        write('api_request_fuzz', r.replace('\\n', '\n').encode())


def ris_live_seeds(shared):
    # The real legacy lines (one broken, one holding two objects) and current-format frames with the quirks
    # of ../shared/ACQUISITION.md (string peer_asn, host with domain, AS_SET, upper-case origin).
    with open(os.path.join(shared, 'data', 'rislive', 'libbgpstream-ris-live-stream.json'), 'rb') as f:
        for line in f.read().splitlines():
            write('ris_live_fuzz', line)
    frames = [
        '{"type":"ris_message","data":{"timestamp":1787141896.08,"peer":"37.49.237.143","peer_asn":"50628",'
        '"id":"x","host":"rrc21.ripe.net","type":"UPDATE","path":[50628,35280,[6453,174]],"origin":"IGP",'
        '"announcements":[{"next_hop":"37.49.237.143","prefixes":["173.82.228.0/24"]}],'
        '"withdrawals":["2a01:6e00::/48"]}}',
        '{"type":"ris_message","data":{"timestamp":1.5,"peer":"2001:db8::1","peer_asn":"1","host":"rrc00",'
        '"type":"RIS_PEER_STATE","state":"down"}}',
        '{"type":"ris_error","data":{"message":"client too slow"}}',
        '{"type":"pong","data":null}',
    ]
    for frame in frames:
        write('ris_live_fuzz', frame.encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shared', default=os.path.join(ROOT, '..', 'shared'))
    args = ap.parse_args()
    for target in ('mrt_record_fuzz', 'mrt_dump_fuzz', 'scenario_fuzz', 'geo_csv_fuzz', 'icmp_reply_fuzz',
                   'api_request_fuzz', 'ris_live_fuzz'):
        shutil.rmtree(os.path.join(ROOT, 'fuzz', 'corpus', target), ignore_errors=True)
    mrt_seeds(args.shared)
    scenario_seeds()
    csv_seeds()
    icmp_seeds()
    api_seeds()
    ris_live_seeds(args.shared)


if __name__ == '__main__':
    main()
