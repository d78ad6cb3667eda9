// SPDX-License-Identifier: AGPL-3.0-or-later
// Country map: regions coloured by the worst level seen in the selected range, plus a table of every
// region (also those without a shape) with the level written out.
import { api } from './api.js';
import { h, svg, levelBadge } from './dom.js';
import { formatTime } from './time.js';
import { href, navigate } from './router.js';
import { RANK, hatchDefs, loadJson, loadMapLibraries } from './geo.js';

// Region shapes shipped in web/data/, keyed by ISO 3166-2 in the ISO_3166_2 property: Kazakhstan's 2018 OCHA
// units, every other country's Natural Earth Admin 1 units (scripts/build_shapes.mjs), fetched when shown.
export function shapeUrl(country) {
  return country === 'KZ' ? '/data/kz-regions.geojson' : `/data/regions/${encodeURIComponent(country)}.json`;
}
export const SHAPE_CREDIT = (country) => (country === 'KZ'
  ? 'Boundaries: OCHA HDX COD-AB (cod-ab-kaz), CC BY 4.0; simplified.'
  : 'Boundaries: Natural Earth (public domain), simplified.');

// The region map of one country: its shapes coloured by level (byCode: region code -> status item), the
// neighbouring countries in grey for context. Regions open their entity page (click, Enter or Space); shapes
// without an ISO code are context only. Null when there are no shapes or no map libraries.
export function regionMap(shapes, world, byCode, country, { show = 'worst' } = {}) {
  if (!shapes || !window.d3) {
    return h('p', { class: 'muted' }, `No region shapes are bundled for ${country}; see the table.`);
  }
  const width = 900, height = 520;
  // Rotated to the country's centre, so a country across the antimeridian (Russia, Fiji) is drawn in one piece.
  const [lon] = d3.geoCentroid(shapes);
  const projection = d3.geoMercator().rotate([-lon, 0]).fitExtent([[12, 12], [width - 12, height - 12]], shapes);
  const path = d3.geoPath(projection);
  const map = svg('svg',
    { class: 'map', viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Map of ${country} regions` });
  map.append(hatchDefs());
  if (world && window.topojson) {
    const land = topojson.feature(world, world.objects.countries);
    const g = svg('g', { 'aria-hidden': 'true' });
    for (const f of land.features) {
      const d = path(f);
      if (d) g.append(svg('path', { class: 'land', d }));
    }
    map.append(g);
  }
  const context = svg('g', { 'aria-hidden': 'true' });
  const regionsGroup = svg('g', {});
  for (const f of shapes.features) {
    const code = f.properties.ISO_3166_2;
    const d = path(f);
    if (!d) continue;
    if (!code) {
      context.append(svg('path', { class: 'region-context', d },
        svg('title', {}, document.createTextNode(f.properties.name))));
      continue;
    }
    const item = byCode.get(code);
    const level = item ? (show === 'now' ? item.current : item.level) : 'no-data';
    const name = item ? item.entity.name : f.properties.name;
    const label = `${name} (${code}): ${level === 'no-data' ? 'no data' : level}`;
    const open = () => navigate({ view: 'entity', entity: `region/${code}` });
    regionsGroup.append(svg('path', {
      class: `region level-${level}`, d, 'data-code': code, 'data-level': level,
      tabindex: 0, role: 'link', 'aria-label': label,
      onclick: open, onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } },
    }, svg('title', {}, document.createTextNode(label))));
  }
  map.append(context, regionsGroup);
  return h('figure', { class: 'region-map' }, map, h('figcaption', { class: 'muted' }, SHAPE_CREDIT(country)));
}

export async function renderMap(main, state) {
  const country = (state.country || 'KZ').toUpperCase();
  const range = { from: state.from, until: state.until };
  const [regions, countryStatus, shapes, world] = await Promise.all([
    api.status({ ...range, entityType: 'region', relatedTo: `country/${country}` }),
    api.status({ ...range, entityType: 'country', entityCode: country }),
    /^[A-Z]{2}$/.test(country) ? loadJson(shapeUrl(country)).catch(() => null) : Promise.resolve(null),
    loadJson('/vendor/world-atlas/countries-50m.json').catch(() => null),
    loadMapLibraries().catch(() => null),
  ]);
  const byCode = new Map(regions.map((r) => [r.entity.code, r]));
  const countryItem = countryStatus[0];
  const title = h('h1', {}, `${countryItem ? countryItem.entity.name : country}: connectivity by region`);
  const subtitle = h('p', { class: 'muted' },
    `Worst level per region between ${formatTime(state.from, state.zone)} and ${formatTime(state.until, state.zone)}. `,
    countryItem ? h('span', {}, 'Country: ', levelBadge(countryItem.level), ' ',
      h('a', { href: href({ view: 'entity', entity: `country/${country}` }) }, 'country signals')) : '');

  const legend = h('div', { class: 'legend', 'aria-label': 'Legend' },
    ...['normal', 'warning', 'critical', 'no-data'].map((level) => h('span', {}, levelBadge(level))));

  const mapFigure = regionMap(shapes, world, byCode, country);
  const rows = [...regions].sort((a, b) => RANK[b.level] - RANK[a.level] || a.entity.name.localeCompare(b.entity.name));
  const table = h('table', { 'aria-label': 'Regions and their level' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Region'), h('th', {}, 'Level'), h('th', {}, 'Now'), h('th', {}, 'Events'))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-code': r.entity.code },
      h('td', {}, h('a', { href: href({ view: 'entity', entity: r.location }) }, r.entity.name), ' ',
        h('span', { class: 'muted' }, r.entity.code)),
      h('td', {}, levelBadge(r.level)),
      h('td', {}, levelBadge(r.current)),
      h('td', {}, r.event_cnt ? h('a', { href: href({ view: 'events', country }) }, String(r.event_cnt)) : '0')))));
  main.replaceChildren(title, subtitle, legend, h('div', { class: 'map-layout' }, mapFigure, h('div', {}, table)));
}
