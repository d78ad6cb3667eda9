#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Formats the C++ sources with the repository's .clang-format (`make format`), or with --check reports the
# files that differ from it and fails (`make test` runs the check first, so unformatted code cannot land).
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
mapfile -t files < <(git ls-files -co --exclude-standard -- 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' \
  'bench/*.cc' 'bench/*.h' 'fuzz/*.cc' 'fuzz/*.h')
if [ "${1:-}" = "--check" ]; then
  unformatted=()
  for file in "${files[@]}"; do
    [ -f "$file" ] || continue
    if ! "$CLANG_FORMAT" --dry-run -Werror "$file" >/dev/null 2>&1; then unformatted+=("$file"); fi
  done
  if [ ${#unformatted[@]} -gt 0 ]; then
    echo "format: ${#unformatted[@]} file(s) differ from .clang-format (run 'make format'):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} C++ files match .clang-format"
else
  "$CLANG_FORMAT" -i "${files[@]}"
fi
