#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A full disk under the store. The store lives on a small tmpfs (mounted in a private mount namespace, so
nothing is left mounted if the test dies; needs root or an unprivileged user namespace, else the test is
skipped with exit 77) that a filler file leaves little room on. For `vigil ingest mrt` and then
`vigil ingest probe`:
- the ingest fails with a non-zero exit and an error that names the store and says the disk is full, and
  nothing else on stderr but that error;
- the store passes `PRAGMA integrity_check`, every committed input row is one of an unconstrained run's rows,
  the probe series hold exactly the rows of the committed rounds and the BGP series only rows the
  unconstrained run has (nothing half-written);
- once the filler is deleted, the same command completes, and the store equals the unconstrained run's."""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from crash_loop import PROBE_DATASOURCES  # noqa: E402

SKIP = 77


def outer(args):
    if shutil.which('unshare') is None:
        print('SKIP: disk-full test needs unshare(1) (util-linux) to mount a small tmpfs privately')
        return SKIP
    map_root = [] if os.geteuid() == 0 else ['--map-root-user']
    target = common.work_dir('disk-full-probe')
    probe = subprocess.run(['unshare', '--mount', *map_root, '--propagation', 'private', 'mount', '-t', 'tmpfs',
                            '-o', 'size=64k', 'tmpfs', target], capture_output=True, text=True)
    os.rmdir(target)
    if probe.returncode != 0:
        print('SKIP: disk-full test cannot mount a small tmpfs here (needs root or unprivileged user '
              'namespaces): %s' % (probe.stderr or probe.stdout).strip())
        return SKIP
    cmd = ['unshare', '--mount', *map_root, '--propagation', 'private', sys.executable, os.path.abspath(__file__),
           '--inner', '--vigil', args.vigil, '--source', args.source, '--scenario', args.scenario]
    return subprocess.run(cmd).returncode


def fill(directory, leave):
    """Creates a filler file so that about `leave` bytes stay free on the file system of `directory`."""
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    size = max(0, free - leave)
    with open(os.path.join(directory, 'filler'), 'wb') as f:
        chunk = b'\0' * (1 << 20)
        while size > 0:
            n = min(size, len(chunk))
            f.write(chunk[:n])
            size -= n
    return size


def inner(args):
    directory = common.work_dir('disk-full')
    world = os.path.join(directory, 'world')
    common.run(args.vigil, 'sim', os.path.join(args.source, args.scenario), world)
    geo = os.path.join(world, 'geo')
    commands = {
        'ingest mrt': lambda db: ['ingest', 'mrt', '-q', '--store', db, '--geo', geo, os.path.join(world, 'mrt')],
        'ingest probe': lambda db: ['ingest', 'probe', '--store', db, '--geo', geo, os.path.join(world, 'probe')],
    }
    reference = os.path.join(directory, 'reference.db')
    after = {}
    for name, command in commands.items():
        common.run(args.vigil, *command(reference))
        after[name] = common.dump(reference)
    ref = after['ingest probe']
    store_bytes = os.path.getsize(reference)
    ref_inputs = set(ref['inputs'])
    ref_series = set(ref['series'])

    small = os.path.join(directory, 'small')
    os.mkdir(small)
    # Room for the whole store twice over plus its write-ahead log; the filler then leaves a fraction of what
    # each ingest adds free, so each runs out part-way.
    size_k = (2 * store_bytes + (32 << 20)) // 1024  # WAL headroom: it grows by megabytes between checkpoints
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%dk' % size_k, 'tmpfs', small], check=True)
    db = os.path.join(small, 'vigil.db')
    problems = []
    figures = []
    try:
        for name, command in commands.items():
            current = os.path.getsize(db) if os.path.exists(db) else 0
            leave = max(64 << 10, (store_bytes - current) // 3)
            fill(small, leave)
            free_before = os.statvfs(small).f_bavail * os.statvfs(small).f_frsize
            p = common.run(args.vigil, *command(db), check=False)
            err = p.stderr.strip()
            state = common.dump(db)
            figures.append('%s with %d KiB free: exit %d, %d inputs committed, stderr %r' % (
                name, free_before // 1024, p.returncode, len(state['inputs']), err.splitlines()[-1:] if err else ''))
            if p.returncode == 0:
                problems.append('%s: exit 0 on a full disk (%d KiB were free)' % (name, free_before // 1024))
            elif p.returncode < 0:
                problems.append('%s: killed by signal %d' % (name, -p.returncode))
            lines = [line for line in err.splitlines() if line.strip()]
            if not lines or not any(db in line or 'vigil.db' in line for line in lines):
                problems.append('%s: the error does not name the store: %r' % (name, err[-500:]))
            if not any('full' in line.lower() for line in lines):
                problems.append('%s: the error does not say the disk is full: %r' % (name, err[-500:]))
            if len(lines) > 3:
                problems.append('%s: %d lines on stderr, expected one clear error: %r' % (name, len(lines), err[-800:]))
            problems.extend(check_consistent(name, db, state, ref_inputs, ref_series, ref))
            os.unlink(os.path.join(small, 'filler'))
            p = common.run(args.vigil, *command(db), check=False)
            if p.returncode != 0:
                problems.append('%s after freeing space: exit %d: %s' % (name, p.returncode, p.stderr[-500:]))
            state = common.dump(db)
            if state != after[name]:
                problems.append('%s resumed: store differs from the unconstrained run:\n%s' % (
                    name, common.describe_difference(after[name], state)))
        final = common.dump(db)
        integrity = common.integrity(db)
    finally:
        subprocess.run(['umount', small])
        shutil.rmtree(directory, ignore_errors=True)
    for line in figures:
        print('disk full: ' + line)
    print('disk full: final store (%d series rows, %d inputs) equals the unconstrained run: %s; integrity %s' % (
        len(final['series']), len(final['inputs']), final == ref, integrity))
    if integrity != [('ok',)]:
        problems.append('final integrity_check %r' % integrity)
    if final != ref:
        problems.append('final store differs from the unconstrained run')
    if problems:
        for p in problems:
            print('  ' + p)
        common.fail('%d problem(s)' % len(problems))
    return 0


def check_consistent(name, db, state, ref_inputs, ref_series, ref):
    found = []
    integrity = common.integrity(db)
    if integrity != [('ok',)]:
        found.append('%s: integrity_check %r' % (name, integrity[:5]))
    stray = [row for row in state['inputs'] if row not in ref_inputs]
    if stray:
        found.append('%s: input rows the unconstrained run does not have: %s' % (name, stray[:3]))
    rounds = {row[5] for row in state['inputs'] if row[2] == 'probe-log'}
    probe_rows = {row for row in state['series'] if row[0] in PROBE_DATASOURCES}
    expected = {row for row in ref['series'] if row[0] in PROBE_DATASOURCES and row[3] in rounds}
    if probe_rows != expected:
        found.append('%s: probe series are not exactly those of the %d committed rounds' % (name, len(rounds)))
    stray = [row for row in state['series'] if row[0] == 'bgp' and row not in ref_series]
    if stray:
        found.append('%s: %d bgp rows the unconstrained run does not have, e.g. %s' % (name, len(stray), stray[:2]))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vigil', required=True)
    ap.add_argument('--source', required=True)
    ap.add_argument('--scenario', default='scenarios/dev/single-region.json')
    ap.add_argument('--inner', action='store_true')
    args = ap.parse_args()
    sys.exit(inner(args) if args.inner else outer(args))


if __name__ == '__main__':
    main()
