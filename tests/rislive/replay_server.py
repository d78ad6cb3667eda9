#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A loopback RIS Live replay server for tests (WebSocket, python3-websockets).

It answers like ris-live.ripe.net: `ris_subscribe` gets `ris_subscribe_ok`, `ping` gets `pong`, and after the
first subscription it sends, in order, the lines of every --lines file (real captures, malformed ones
included, each line one frame), then --malformed frames of its own, then the frames of --frames (one per line:
`vigil mrt ris-live` output from real MRT files). It sends WebSocket pings every 0.5 s and drops a client that
does not answer them within 3 s. Listens on 127.0.0.1 only; prints "listening on PORT" when ready.

Faults:
  --drop-after N    the first connection is cut (TCP reset, no close frame) after N frames; the next one gets
                    the frames that were not sent
  --clock ORIGIN@SPEED --wall0 T
                    paced replay: a frame is sent when a clock that reads ORIGIN (RFC 3339) at wall time T and
                    runs SPEED times faster reaches the frame's data.timestamp (as `vigil run --clock`)
Every subscription and connection is appended to --log as one JSON line, for the test to check.

Usage: replay_server.py [--port 0] [--lines FILE]... [--frames FILE] [--drop-after N] --log FILE"""
import argparse
import asyncio
import calendar
import json
import sys
import time

import websockets

MALFORMED = [
    '{"type":"ris_message","data":{"timestamp":1267287001,"peer":"not-an-address","peer_asn":"1",'
    '"host":"rrc15","type":"UPDATE"}}',
    '{"type":"ris_message","data":{"timestamp":1267287001,"peer":"192.0.2.1","peer_asn":"1","host":"rrc15",'
    '"type":"UPDATE","announcements":[{"next_hop":"192.0.2.1","prefixes":["10.0.0.0/40"]}]}}',
    '{"type":"ris_message","data":{"timestamp":',
    'not json at all',
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--lines', action='append', default=[])
    ap.add_argument('--frames')
    ap.add_argument('--drop-after', type=int, default=-1)
    ap.add_argument('--log', required=True)
    ap.add_argument('--clock')
    ap.add_argument('--wall0', type=float)
    args = ap.parse_args()
    pace = None
    if args.clock:
        origin, speed = args.clock.split('@')
        origin = calendar.timegm(time.strptime(origin, '%Y-%m-%dT%H:%M:%SZ'))
        pace = (origin, float(speed), args.wall0 if args.wall0 else time.time())

    frames = []
    for path in args.lines:
        with open(path) as f:
            frames += [line.rstrip('\n') for line in f if line.strip()]
    frames += MALFORMED
    if args.frames:
        with open(args.frames) as f:
            frames += [line.rstrip('\n') for line in f if line.strip()]
    state = {'next': 0, 'connections': 0}

    def log(entry):
        with open(args.log, 'a') as f:
            f.write(json.dumps(entry) + '\n')

    async def wait_for_time(frame):
        try:
            t = json.loads(frame)['data']['timestamp']
        except (ValueError, KeyError, TypeError):
            return
        origin, speed, wall0 = pace
        delay = wall0 + (t - origin) / speed - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def handler(ws, path=None):
        state['connections'] += 1
        connection = state['connections']
        log({'event': 'connected', 'connection': connection, 'path': path or getattr(ws, 'path', '')})
        sending = None

        async def send_all():
            try:
                await send_frames()
            except websockets.ConnectionClosed:
                log({'event': 'send failed: closed', 'connection': connection})

        async def send_frames():
            while state['next'] < len(frames):
                if connection == 1 and args.drop_after >= 0 and state['next'] >= args.drop_after:
                    log({'event': 'dropped', 'connection': connection, 'after': state['next']})
                    ws.transport.abort()  # a reset, no close frame
                    return
                if pace:
                    await wait_for_time(frames[state['next']])
                await ws.send(frames[state['next']])
                state['next'] += 1
                if state['next'] % 50 == 0:
                    await asyncio.sleep(0)
            log({'event': 'sent all', 'connection': connection, 'frames': len(frames)})

        try:
            async for message in ws:
                try:
                    request = json.loads(message)
                except ValueError:
                    await ws.send(json.dumps({'type': 'ris_error', 'data': {'message': 'not JSON'}}))
                    continue
                kind = request.get('type')
                if kind == 'ping':
                    log({'event': 'ping', 'connection': connection})
                    await ws.send(json.dumps({'type': 'pong', 'data': None}))
                elif kind == 'ris_subscribe':
                    log({'event': 'subscribe', 'connection': connection, 'data': request.get('data')})
                    await ws.send(json.dumps({'type': 'ris_subscribe_ok', 'data': request.get('data')}))
                    if sending is None:
                        sending = asyncio.ensure_future(send_all())
        except websockets.ConnectionClosed:
            pass
        log({'event': 'closed', 'connection': connection})

    async def serve():
        async with websockets.serve(handler, '127.0.0.1', args.port, ping_interval=0.5, ping_timeout=3,
                                    max_size=1 << 20) as server:
            port = server.sockets[0].getsockname()[1]
            print('listening on %d' % port, flush=True)
            await asyncio.Future()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    sys.exit(main())
