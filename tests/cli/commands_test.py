#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""CLI contract: --help on every command, unknown commands are errors, readers never create a store."""
import os
import re
import shutil
import subprocess
import sys

vigil, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def run(*args):
    return subprocess.run([vigil, *args], capture_output=True, text=True, cwd=work, timeout=60)


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def subcommands(words):
    """The subcommand names listed in the help of `vigil WORDS --help`."""
    text = run(*words, "--help").stdout
    names = []
    section = text.split("Subcommands:", 1)[1] if "Subcommands:" in text else ""
    for line in section.splitlines():
        m = re.match(r"^  (\S+)", line)
        if m:
            names.append(m.group(1))
    return names


# Every command and subcommand answers --help with exit 0 and its own usage line.
queue, seen = [[]], 0
while queue:
    words = queue.pop()
    r = run(*words, "--help")
    check(r.returncode == 0 and "Usage:" in r.stdout, "vigil " + " ".join(words + ["--help"]) + " exits 0")
    seen += 1
    for name in subcommands(words):
        queue.append(words + [name])
check(seen > 20, f"walked {seen} commands")

# Unknown commands fail, with or without --help, naming the word.
for words in (["nosuch"], ["nosuch", "--help"], ["ingest", "nosuch", "--help"], ["store", "nosuch"]):
    r = run(*words)
    check(r.returncode != 0 and "nosuch" in r.stderr, "vigil " + " ".join(words) + " fails naming it")

# Readers refuse a missing store, name it, and leave no file behind.
missing = os.path.join(work, "typo.db")
for words in (["detect", "--store", missing], ["store", "info", "--store", missing],
              ["serve", "--store", missing, "--listen", "127.0.0.1:0"]):
    r = run(*words)
    check(r.returncode != 0 and "typo.db" in r.stderr and "does not exist" in r.stderr,
          "vigil " + words[0] + " refuses a missing store: " + r.stderr.strip()[:100])
    check(not os.path.exists(missing), "vigil " + words[0] + " did not create the store")

# A store made by `store init` is then accepted by the readers.
r = run("store", "init", "--store", missing)
check(r.returncode == 0, "store init creates it")
r = run("detect", "--store", missing)
check(r.returncode == 0, "detect accepts an existing (empty) store")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
