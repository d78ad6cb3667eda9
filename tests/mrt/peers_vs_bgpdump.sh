#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `vigil mrt peers FILE`: per peer (address, ASN), the distinct IPv4 and IPv6 prefixes of its RIB entries must
# equal what Debian's bgpdump -m prints for the same file (B lines, one prefix counted once per peer), and
# the full-feed column must follow the thresholds given. Addresses are compared in RFC 5952 form (vigil
# prints that; bgpdump writes some IPv6 addresses its own way).
set -euo pipefail
vigil=$1 bgpdump=$2 file=$3 v4_min=$4 v6_min=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
canonical() {
  python3 -c 'import ipaddress, sys
rows = [line.rstrip("\n").split("\t") for line in sys.stdin]
for row in sorted([str(ipaddress.ip_address(r[0]))] + r[1:] for r in rows): print("\t".join(row))'
}
"$bgpdump" -m "$file" 2>/dev/null | awk -F'|' '$3 == "B" { print $4 "|" $5 "|" $6 }' | sort -u |
  awk -F'|' -v v4="$v4_min" -v v6="$v6_min" '
    { key = $1 "\t" $2; if (index($3, ":")) six[key]++; else four[key]++; keys[key] = 1 }
    END {
      for (k in keys) {
        f4 = four[k] + 0; f6 = six[k] + 0
        label = (f4 > v4 && f6 > v6) ? "ipv4,ipv6" : (f4 > v4) ? "ipv4" : (f6 > v6) ? "ipv6" : "-"
        print k "\t" f4 "\t" f6 "\t" label
      }
    }' | canonical >"$work/expected"
"$vigil" mrt peers --full-feed-min "$v4_min" --full-feed-min-v6 "$v6_min" "$file" >"$work/out" 2>"$work/err" || {
  echo "FAIL: vigil mrt peers exited $?: $(cat "$work/err")"
  exit 1
}
head -1 "$work/out" | grep -qx $'peer\tasn\tipv4_prefixes\tipv6_prefixes\tfull_feed' || {
  echo "FAIL: header: $(head -1 "$work/out")"
  exit 1
}
grep -v '^#' "$work/out" | tail -n +2 | canonical >"$work/got"
if ! diff -u "$work/expected" "$work/got" >"$work/diff"; then
  echo "FAIL: $file: per-peer prefix counts differ from bgpdump's"
  head -20 "$work/diff"
  exit 1
fi
[ -s "$work/got" ] || { echo "FAIL: no peers"; exit 1; }
echo "ok: $(wc -l <"$work/got") peers, $(tail -1 "$work/out")"
