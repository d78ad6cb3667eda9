// SPDX-License-Identifier: AGPL-3.0-or-later
// Shared map plumbing: the map libraries (loaded on first use), cached JSON files, level ranking and the
// no-data hatch pattern every map uses.
import { svg } from './dom.js';

export const RANK = { critical: 3, warning: 2, normal: 1, 'no-data': 0 };
const cache = new Map();

// The map's UMD libraries, loaded on first use only: entity and event pages never need them.
const MAP_SCRIPTS = ['/vendor/d3-array/dist/d3-array.min.js', '/vendor/d3-geo/dist/d3-geo.min.js',
  '/vendor/topojson-client/dist/topojson-client.min.js'];
let mapLibraries = null;
export function loadMapLibraries() {
  // async = false: downloaded in parallel, run in order (d3-geo needs d3-array).
  mapLibraries ||= Promise.all(MAP_SCRIPTS.map((src) => new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.async = false;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  })));
  return mapLibraries;
}

export async function loadJson(url) {
  if (!cache.has(url)) {
    const request = fetch(url).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status} ${url}`))));
    request.catch(() => cache.delete(url));
    cache.set(url, request);
  }
  return cache.get(url);
}

export function hatchDefs() {
  return svg('defs', {},
    svg('pattern',
      { id: 'nodata-hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      svg('rect', { width: 8, height: 8, fill: '#f0f0f0' }),
      svg('line', { x1: 0, y1: 0, x2: 0, y2: 8, stroke: '#9a9a9a', 'stroke-width': 3 })));
}

// ISO 3166-1 alpha-2 code of a world-atlas country shape (keyed by numeric code, a few by name only).
export async function countryCodeOf() {
  const table = await loadJson('/data/countries.json');
  const byNumeric = new Map(table.countries.filter((c) => c.numeric).map((c) => [c.numeric, c.code]));
  return (feature) =>
    byNumeric.get(feature.id) || table.unnumbered[feature.properties && feature.properties.name] || null;
}
