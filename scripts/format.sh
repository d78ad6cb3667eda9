#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Formats the C++ sources with the repository's .clang-format (`make format`), or with --check reports the
# files that differ from it and every line over 120 columns, and fails (`make test` runs the check first, so
# unformatted code cannot land). The column limit also covers the JavaScript and Python, which nothing formats,
# and the string literals clang-format does not break; it counts characters, not bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
COLUMN_LIMIT=120
mapfile -t files < <(git ls-files -co --exclude-standard -- 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' \
  'bench/*.cc' 'bench/*.h' 'fuzz/*.cc' 'fuzz/*.h')
mapfile -t scripts < <(git ls-files -co --exclude-standard -- 'web/*.js' 'tests/*.js' 'tests/*.mjs' 'scripts/*.mjs' \
  '*.py')

# Prints file:line: N columns for each line over the limit; fails when there is one.
check_line_length() {
  perl -CSD -ne 'chomp; if (length($_) > '"$COLUMN_LIMIT"') { print "$ARGV:$.: ", length($_), " columns\n"; $long++ }
    close ARGV if eof; END { exit($long ? 1 : 0) }' "$@"
}

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
  existing=()
  for file in "${files[@]}" "${scripts[@]}"; do [ -f "$file" ] && existing+=("$file"); done
  if ! long=$(check_line_length "${existing[@]}"); then
    echo "format: lines over $COLUMN_LIMIT columns (wrap them; clang-format does not break string literals):" >&2
    printf '%s\n' "$long" | sed 's/^/  /' >&2
    exit 1
  fi
  echo "format: ${#files[@]} C++ files match .clang-format; no line over $COLUMN_LIMIT columns in them" \
    "or in ${#scripts[@]} JavaScript and Python files"
else
  "$CLANG_FORMAT" -i "${files[@]}"
fi
