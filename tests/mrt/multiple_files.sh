#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Usage: multiple_files.sh VIGIL BGPDUMP DATA_DIR — `vigil mrt dump -m A B C` equals bgpdump run on each in turn.
set -uo pipefail
vigil=$1 bgpdump=$2 dir=$3
files=("$dir/mrtparse.quagga_rib.mrt" "$dir/ryu.updates.20161101.0000.bz2" "$dir/bgpkit.rrc00.updates.20000325.0345.gz"
       "$dir/ripe-bgpdump.updates.20020722.2238.gz")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in "${files[@]}"; do "$bgpdump" -q -m "$f" 2>/dev/null; done > "$work/bgpdump.out"
"$vigil" mrt dump -m "${files[@]}" > "$work/vigil.out" 2>/dev/null
rc=$?
cmp "$work/bgpdump.out" "$work/vigil.out" || { echo "FAIL: concatenated output differs"; exit 1; }
# One of the files is corrupt, so the exit status must say something was skipped.
[ $rc -eq 1 ] || { echo "FAIL: exit status $rc, expected 1"; exit 1; }
echo "ok: $(wc -l < "$work/vigil.out") lines"
