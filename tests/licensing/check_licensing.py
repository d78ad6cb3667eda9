#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Licensing check run by `make test`.

Fails (exit 1, one line per problem) when
  - a source file (C++, CMake, shell, Python, JavaScript, CSS, HTML, SQL, Makefile, any file starting with a
    shebang) has no `SPDX-License-Identifier: AGPL-3.0-or-later` line among its first five lines;
  - a file that is data (anything that is neither source nor one of the known text/config files) is not
    matched by a glob of a `Files:` line in ATTRIBUTION;
  - an npm dependency of package.json is not named (in backticks) in ATTRIBUTION;
  - LICENSE is not the GNU Affero GPL version 3 text.
The files are those git tracks (or, outside a git checkout, every file below the root except build output and
node_modules). `--self-test` builds a small tree with one problem of each kind and checks that each is reported.

Usage: check_licensing.py [ROOT] | check_licensing.py --self-test"""
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile

SPDX = 'SPDX-License-Identifier: AGPL-3.0-or-later'
SOURCE_SUFFIXES = ('.cc', '.h', '.cpp', '.hpp', '.c', '.cmake', '.sh', '.py', '.js', '.mjs', '.css', '.html',
                   '.sql', '.service')
SOURCE_NAMES = ('CMakeLists.txt', 'Makefile')
# Text that is neither source nor data: documentation, licences, tool configuration, package manifests.
NOT_DATA_SUFFIXES = ('.md',)
NOT_DATA_NAMES = ('LICENSE', 'ATTRIBUTION', '.gitignore', '.clang-format', 'package.json', 'package-lock.json',
                  'debian-packages.txt', 'sanitize-targets.txt')
SKIP_DIRS = ('.git', 'node_modules', 'var')


def tracked_files(root):
    try:
        out = subprocess.run(['git', '-C', root, 'ls-files', '-z'], check=True, capture_output=True).stdout
        return [p for p in out.decode().split('\0') if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for directory, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith('build')]
            files += [os.path.relpath(os.path.join(directory, n), root) for n in names]
        return files


def head(path, size=4096):
    with open(path, 'rb') as f:
        return f.read(size)


def is_source(root, path):
    name = os.path.basename(path)
    if name in SOURCE_NAMES or name.endswith(SOURCE_SUFFIXES):
        return True
    return head(os.path.join(root, path), 2) == b'#!'


def is_data(path):
    name = os.path.basename(path)
    return not (name in NOT_DATA_NAMES or name.endswith(NOT_DATA_SUFFIXES))


def attribution_globs(text):
    """Backticked globs of every `Files:` entry (an entry continues on indented lines)."""
    globs, in_files = [], False
    for line in text.splitlines():
        if line.startswith('Files:'):
            in_files = True
        elif not line.startswith('  '):
            in_files = False
        if in_files:
            globs += re.findall(r'`([^`]+)`', line)
    return globs


def problems(root):
    found = []
    attribution_path = os.path.join(root, 'ATTRIBUTION')
    if not os.path.exists(attribution_path):
        return ['ATTRIBUTION: missing']
    attribution = open(attribution_path, encoding='utf-8').read()
    globs = attribution_globs(attribution)
    license_path = os.path.join(root, 'LICENSE')
    if not os.path.exists(license_path):
        found.append('LICENSE: missing')
    else:
        lines = [line.strip() for line in open(license_path, encoding='utf-8').read().splitlines()[:2]]
        if lines != ['GNU AFFERO GENERAL PUBLIC LICENSE', 'Version 3, 19 November 2007']:
            found.append('LICENSE: is not the GNU Affero General Public License version 3 text')
    for path in sorted(tracked_files(root)):
        if not os.path.isfile(os.path.join(root, path)):
            continue
        if is_source(root, path):
            first_lines = head(os.path.join(root, path)).decode('utf-8', 'replace').splitlines()[:5]
            if not any(SPDX in line for line in first_lines):
                found.append(f'{path}: source file without "{SPDX}" in its first five lines')
        elif is_data(path) and not any(fnmatch.fnmatchcase(path, g) for g in globs):
            found.append(f'{path}: data file not covered by a Files: line of ATTRIBUTION')
    package_path = os.path.join(root, 'package.json')
    if os.path.exists(package_path):
        for package in json.load(open(package_path)).get('dependencies', {}):
            if f'`{package}`' not in attribution:
                found.append(f'package.json: npm package {package} is not named in ATTRIBUTION')
    return found


def self_test():
    with tempfile.TemporaryDirectory() as root:
        def write(path, text):
            os.makedirs(os.path.dirname(os.path.join(root, path)) or root, exist_ok=True)
            open(os.path.join(root, path), 'w').write(text)
        write('LICENSE', '   GNU AFFERO GENERAL PUBLIC LICENSE\n   Version 3, 19 November 2007\n')
        write('ATTRIBUTION', 'x\n\nFiles: `data/a/*`\n  `web/b.json`\nInstalls: `pkg-a`\nLicence: x\n')
        write('package.json', '{"dependencies": {"pkg-a": "1", "pkg-b": "2"}}')
        write('src/good.cc', f'// {SPDX}\nint x;\n')
        write('src/bad.cc', 'int y;\n')
        write('scripts/run', '#!/bin/sh\necho\n')
        write('data/a/one.gz', 'x')
        write('web/b.json', '{}')
        write('web/c.geojson', '{}')
        write('docs/x.md', 'doc')
        got = problems(root)
        want = ['src/bad.cc: source', 'scripts/run: source', 'web/c.geojson: data', 'npm package pkg-b']
        missing = [w for w in want if not any(w in p for p in got)]
        if missing or len(got) != len(want):
            print('self-test failed: wanted problems', want, 'got', got)
            return 1
        write('LICENSE', 'MIT License\n')
        if not any(p.startswith('LICENSE:') for p in problems(root)):
            print('self-test failed: a non-AGPL LICENSE passed')
            return 1
    print('self-test: every planted problem was reported')
    return 0


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    found = problems(root)
    for problem in found:
        print(problem)
    if found:
        print(f'{len(found)} licensing problem(s); see ATTRIBUTION (data) and LICENSE (code)')
        return 1
    print('licensing: LICENSE is AGPL-3.0, every source file has its SPDX line, every data file is attributed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
