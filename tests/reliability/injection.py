#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""SQL injection strings in every parameter of every endpoint that `vigil serve` documents in /openapi.json
(path, query and JSON body fields; reads without a token, writes with the admin token). Every response must
be a normal answer or a 4xx, never a 5xx; `vigil serve` must log no SQL error; annotations created from
injected bodies must hold the injected text verbatim (bound parameters store it as data); and after they are
deleted again the store holds exactly what it held before (every table compared row by row)."""
import argparse
import collections
import contextlib
import json
import os
import re
import shutil
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE series; --",
    "1' UNION SELECT name, sql, 1, 1, 1, 1, 1 FROM sqlite_master --",
    "'); DELETE FROM annotations; --",
    "region/IR-23' --",
    "1) OR (1=1",
    "*/ OR 1=1 /*",
    "' || (SELECT hex(randomblob(100000000))) || '",
    "%' OR code LIKE '%",
    "1 AND 1=CAST((SELECT sqlite_version()) AS INT)",
    "\\'; ATTACH DATABASE '/tmp/x.db' AS x; --",
    "'\x00' OR 1=1",
]
TOKEN = 'reliability-test-admin-token-0123456789'

# A valid value per parameter name, so that the other parameters of a request are accepted and the injected
# one is what the server has to deal with.
VALID = {
    'entityType': 'region', 'entityCode': 'IR-23', 'from': '1663113600', 'until': '1664000000',
    'datasource': 'bgp', 'maxPoints': '100', 'sourceParams': 'x', 'relatedTo': 'country/IR', 'limit': '10',
    'page': '0', 'ignoreMethods': 'x', 'extendWindow': '0', 'includeAlerts': 'true', 'format': 'json',
    'orderBy': 'score', 'overall': 'false', 'search': 'IR', 'entity': 'region/IR-23', 'id': '1',
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vigil', required=True)
    args = ap.parse_args()

    directory = common.work_dir('injection')
    db = common.small_store(args.vigil, directory)
    before = common.dump(db)
    env = dict(os.environ, VIGIL_ADMIN_TOKEN=TOKEN)
    # One client sending ~1,300 requests back to back: rate limiting (tested in ApiTest) is off here.
    serve = common.Serve(args.vigil, db, '--cache-ttl', '0', '--rate-limit', '0', env=env)
    auth = {'Authorization': 'Bearer ' + TOKEN, 'Content-Type': 'application/json'}
    statuses = collections.Counter()
    problems = []
    requests = 0
    parameters = 0
    created = []

    def check(label, status, body):
        nonlocal requests
        requests += 1
        statuses[status] += 1
        if status >= 500:
            problems.append('%s: status %d: %s' % (label, status, body[:200]))

    try:
        status, body = serve.get('/openapi.json')
        if status != 200:
            common.fail('/openapi.json: status %d' % status)
        doc = json.loads(body)
        for path, operations in sorted(doc['paths'].items()):
            for method, op in sorted(operations.items()):
                params = op.get('parameters', [])
                headers = auth if method != 'get' else {}
                # Path and query parameters.
                for target in params:
                    parameters += 1
                    for injection in INJECTIONS:
                        url = path
                        query = {}
                        for p in params:
                            value = injection if p is target else VALID.get(p['name'], 'x')
                            if p['in'] == 'path':
                                url = url.replace('{%s}' % p['name'], urllib.parse.quote(value, safe=''))
                            elif p['in'] == 'query':
                                query[p['name']] = value
                        if query:
                            url += '?' + urllib.parse.urlencode(query)
                        status, body = serve.get(url, method=method.upper(), headers=headers)
                        check('%s %s [%s=%r]' % (method.upper(), path, target['name'], injection), status, body)
                # JSON body fields (the write endpoints), each field injected in turn.
                if 'requestBody' in op:
                    fields = {'/api/v1/annotations': {'entity': 'region/IR-23', 'kind': 'note',
                                                      'start': '2022-09-20T00:00:00Z', 'end': '2022-09-21T00:00:00Z',
                                                      'text': 'x', 'source_url': 'https://example.org/'},
                              '/api/v1/webhooks': {'url': 'http://127.0.0.1:9/hook', 'entity': 'region/IR-23',
                                                   'min_level': 'warning', 'secret': 'x'}}.get(path)
                    if fields is None:
                        problems.append('%s %s: body fields unknown to this test' % (method.upper(), path))
                        continue
                    for field in fields:
                        parameters += 1
                        for injection in INJECTIONS:
                            body_json = dict(fields, **{field: injection})
                            status, body = serve.get(path, method='POST', body=json.dumps(body_json).encode(),
                                                     headers=auth)
                            label = 'POST %s [%s=%r]' % (path, field, injection)
                            check(label, status, body)
                            if 200 <= status < 300:
                                created.append((path, json.loads(body), field, injection))
                            # The same without the token: refused.
                            status, body = serve.get(path, method='POST', body=json.dumps(body_json).encode(),
                                                     headers={'Content-Type': 'application/json'})
                            check(label + ' without token', status, body)
                            if status not in (401, 403):
                                problems.append('%s without token: status %d' % (label, status))

        # What the injected bodies created holds the injected text as data; then it goes away again.
        verbatim = 0
        for path, answer, field, injection in created:
            item = answer.get('data', answer) if isinstance(answer, dict) else answer
            ident = item.get('id') if isinstance(item, dict) else None
            if ident is None:
                problems.append('POST %s [%s]: no id in %r' % (path, field, answer))
                continue
            if path == '/api/v1/annotations' and field in ('text', 'source_url', 'kind'):
                with contextlib.closing(common.connect(db)) as c:
                    row = c.execute('SELECT %s FROM annotations WHERE id = ?' % field, (ident,)).fetchone()
                if row is None or row[0] != injection:
                    problems.append('annotation %s: %s stored as %r, sent %r' % (ident, field, row, injection))
                else:
                    verbatim += 1
            status, body = serve.get('%s/%s' % (path, ident), method='DELETE', headers=auth)
            check('DELETE %s/%s' % (path, ident), status, body)
            if not 200 <= status < 300:
                problems.append('DELETE %s/%s: status %d' % (path, ident, status))
    finally:
        serve.stop()
    log = serve.log
    after = common.dump(db)
    integrity = common.integrity(db)
    shutil.rmtree(directory, ignore_errors=True)

    if re.search(r'SQL|sqlite|syntax error|unrecognized token', log, re.I):
        problems.append('serve logged SQL errors: ' + log[-1000:])
    if after != before:
        problems.append('the store changed:\n' + common.describe_difference(before, after))
    if integrity != [('ok',)]:
        problems.append('integrity_check: %r' % integrity)
    summary = ', '.join('%d x %d' % (n, s) for s, n in sorted(statuses.items()))
    print('injection: %d strings x %d parameters of %d operations -> %d requests; statuses: %s; '
          '%d created annotations/webhooks (%d annotation fields checked verbatim) deleted again; store unchanged: %s'
          % (len(INJECTIONS), parameters, sum(len(v) for v in doc['paths'].values()), requests, summary,
             len(created), verbatim, after == before))
    if problems:
        for p in problems[:30]:
            print('  ' + p)
        common.fail('%d problem(s)' % len(problems))


if __name__ == '__main__':
    main()
