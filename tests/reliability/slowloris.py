#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Slowloris against `vigil serve`: many clients open connections and trickle their request headers one
line at a time, each line sooner than the server's read timeout, so no connection ever completes or times
out. While they are all open, ordinary requests from another client must still be answered, each within a
bound far above normal latency (a loaded 2-core CI box answers in milliseconds; a server whose workers are
all held by slow clients never answers)."""
import argparse
import os
import shutil
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vigil', required=True)
    ap.add_argument('--connections', type=int, default=200)
    ap.add_argument('--requests', type=int, default=10)
    ap.add_argument('--bound', type=float, default=5.0, help='seconds an ordinary request may take')
    args = ap.parse_args()

    directory = common.work_dir('slowloris')
    db = common.small_store(args.vigil, directory)
    serve = common.Serve(args.vigil, db)  # default worker threads (8): far fewer than the slow clients
    slow = []
    stop = threading.Event()
    try:
        for i in range(args.connections):
            s = socket.create_connection(('127.0.0.1', serve.port), timeout=10)
            s.sendall(b'GET /v2/datasources HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            slow.append(s)
        sent = [0]

        def trickle():
            # One more header line per connection about every 2 s (the server's read timeout is 10 s).
            while not stop.is_set():
                for i, s in enumerate(slow):
                    if stop.is_set():
                        break
                    try:
                        s.sendall(b'X-Slow-%d: %d\r\n' % (i, sent[0]))
                    except OSError:
                        pass
                    time.sleep(2.0 / len(slow))
                sent[0] += 1

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        common.wait_until(lambda: sent[0] >= 1, 60)

        latencies = []
        for i in range(args.requests):
            path = '/healthz' if i % 2 == 0 else '/v2/outages/events?from=1663113600&until=1664000000'
            start = time.monotonic()
            try:
                status, _ = serve.get(path, timeout=args.bound * 3)
            except OSError as e:
                common.fail('request %d (%s) failed while %d slow clients were open: %s' % (
                    i, path, len(slow), e))
            elapsed = time.monotonic() - start
            latencies.append(elapsed)
            if status != 200:
                common.fail('request %d (%s): status %d' % (i, path, status))
            if elapsed > args.bound:
                common.fail('request %d (%s) took %.1f s (bound %.1f s) with %d slow clients open' % (
                    i, path, elapsed, args.bound, len(slow)))
            time.sleep(0.5)

        # The slow clients are still connected (the server neither served them nor dropped them early).
        still_open = 0
        for s in slow:
            try:
                s.sendall(b'X-Still: 1\r\n')
                still_open += 1
            except OSError:
                pass
        stop.set()
        trickler.join()
        rounds = sent[0]
        for s in slow:
            s.close()
        slow = []
        status, _ = serve.get('/healthz', timeout=30)
        if status != 200:
            common.fail('after the slow clients left: status %d' % status)
        print('slowloris: %d slow connections trickling headers (%d lines each), %d still open at the end; '
              '%d ordinary requests answered, latency median %.3f s, max %.3f s (bound %.1f s)' % (
                  args.connections, rounds, still_open, len(latencies), statistics.median(latencies),
                  max(latencies), args.bound))
    finally:
        stop.set()
        for s in slow:
            s.close()
        serve.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == '__main__':
    main()
