#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Installs what Vigil needs and is missing: Debian packages from deps/debian-packages.txt (apt-get) and the
# npm packages pinned in package.json/package-lock.json (npm ci). Idempotent and quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t wanted < <(grep -v '^\s*#' deps/debian-packages.txt | sed 's/\s.*//' | grep -v '^$')
if ! command -v npm >/dev/null 2>&1; then wanted+=(nodejs npm); fi
missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (geo databases, dashboard libraries, browser-test driver). Reinstalled only when the
# lockfile changed since the last install.
if [ -f package-lock.json ]; then
  stamp=node_modules/.vigil-lock-sha256
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "deps: installing npm packages (package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    echo "$want" > "$stamp"
  fi
fi
