#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Usage: bgpdump_conformance.sh VIGIL BGPDUMP FILE EXPECTED_TSV [CACHE_DIR]
# Passes when `vigil mrt dump -m FILE` prints byte for byte what `bgpdump -m FILE` prints, the line count
# matches expected.tsv, and vigil neither crashes nor writes to stdout on errors.
# bgpdump is slow (seconds per MB), so its output is kept in CACHE_DIR keyed by the input's SHA-256 and the
# bgpdump binary; the first run of a build directory produces it.
set -uo pipefail
vigil=$1 bgpdump=$2 file=$3 expected=$4 cache=${5:-}
name=$(basename "$file")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reference="$work/bgpdump.out"
if [ -n "$cache" ]; then
  mkdir -p "$cache"
  key=$(sha256sum < "$file" | cut -c1-32)-$(stat -L -c %s-%Y "$bgpdump")
  reference="$cache/$name.$key.out"
fi
if [ ! -f "$reference" ]; then
  "$bgpdump" -q -m "$file" > "$reference.tmp.$$" 2>/dev/null
  mv "$reference.tmp.$$" "$reference"
fi
cp "$reference" "$work/bgpdump.out"
"$vigil" mrt dump -m "$file" > "$work/vigil.out" 2> "$work/vigil.err"
rc=$?
if [ $rc -gt 1 ]; then
  echo "FAIL $name: vigil exited with $rc"; cat "$work/vigil.err"; exit 1
fi
if ! cmp -s "$work/bgpdump.out" "$work/vigil.out"; then
  echo "FAIL $name: output differs from bgpdump -m"
  diff "$work/bgpdump.out" "$work/vigil.out" | head -20
  exit 1
fi
lines=$(wc -l < "$work/vigil.out")
want=$(awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$expected")
if [ -n "$want" ] && [ "$lines" != "$want" ]; then
  echo "FAIL $name: $lines lines, expected.tsv says $want"; exit 1
fi
# A non-zero exit must come with a message naming the file and an offset.
if [ $rc -ne 0 ] && ! grep -q "$name: offset [0-9]*:" "$work/vigil.err"; then
  echo "FAIL $name: exit status $rc without a message naming file and offset"; cat "$work/vigil.err"; exit 1
fi
echo "ok $name: $lines lines identical to bgpdump (exit $rc)"
