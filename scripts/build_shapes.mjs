#!/usr/bin/env node
// SPDX-License-Identifier: AGPL-3.0-or-later
// Builds the dashboard's shape files from npm and Debian packages (no download):
//   web/data/countries.json  ISO 3166-1 numeric -> alpha-2 and names (Debian iso-codes), to key world-atlas shapes.
// usage: node scripts/build_shapes.mjs [--check]   (--check: exit 1 when a file would change, write nothing)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ISO_DIR = process.env.ISO_CODES_DIR || '/usr/share/iso-codes/json';
const check = process.argv.includes('--check');
let stale = 0;

function output(relative, text) {
  const file = path.join(root, relative);
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (old === text) return;
  stale++;
  if (check) {
    console.log(`stale: ${relative}`);
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  console.log(`wrote ${relative} (${text.length} bytes)`);
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// world-atlas keys countries by ISO 3166-1 numeric code; three shapes have none and are given the alpha-2 code of
// the entity Vigil reports them under (Kosovo: XK, the code its registries and geolocation databases use).
const UNNUMBERED = { Kosovo: 'XK', Somaliland: 'SO', 'N. Cyprus': 'CY' };

function buildCountries() {
  const iso = readJson(path.join(ISO_DIR, 'iso_3166-1.json'))['3166-1'];
  const countries = iso.map((c) => ({ code: c.alpha_2, numeric: c.numeric, name: c.common_name || c.name }))
    .concat([{ code: 'XK', numeric: null, name: 'Kosovo' }])
    .sort((a, b) => a.code.localeCompare(b.code));
  output('web/data/countries.json', `${JSON.stringify({ source: 'Debian iso-codes (iso_3166-1.json)', unnumbered: UNNUMBERED, countries })}\n`);
}

buildCountries();
if (check && stale) {
  console.log(`${stale} file(s) out of date: run node scripts/build_shapes.mjs`);
  process.exit(1);
}
