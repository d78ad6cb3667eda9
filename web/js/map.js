// SPDX-License-Identifier: AGPL-3.0-or-later
// Country map: regions coloured by the worst level seen in the selected range, plus a table of every
// region (also those without a shape) with the level written out.
import { api } from './api.js';
import { h, svg, levelBadge } from './dom.js';
import { formatTime } from './time.js';
import { href, navigate } from './app.js';
import { RANK, hatchDefs, loadJson, loadMapLibraries } from './geo.js';

// Region shapes shipped in web/data/, keyed by ISO 3166-2 in the ISO_3166_2 property.
const SHAPES = { KZ: '/data/kz-regions.geojson' };

export async function renderMap(main, state) {
  const country = (state.country || 'KZ').toUpperCase();
  const range = { from: state.from, until: state.until };
  const [regions, countryStatus, shapes, world] = await Promise.all([
    api.status({ ...range, entityType: 'region', relatedTo: `country/${country}` }),
    api.status({ ...range, entityType: 'country', entityCode: country }),
    SHAPES[country] ? loadJson(SHAPES[country]) : Promise.resolve(null),
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

  let mapFigure = h('p', { class: 'muted' }, `No region shapes are bundled for ${country}; see the table.`);
  if (shapes && window.d3) {
    const width = 900, height = 520;
    const projection = d3.geoMercator().fitExtent([[12, 12], [width - 12, height - 12]], shapes);
    const path = d3.geoPath(projection);
    const map = svg('svg', { class: 'map', viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Map of ${country} regions` });
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
    const regionsGroup = svg('g', {});
    for (const f of shapes.features) {
      const code = f.properties.ISO_3166_2;
      const item = byCode.get(code);
      const level = item ? item.level : 'no-data';
      const name = item ? item.entity.name : f.properties.name;
      const label = `${name} (${code}): ${level === 'no-data' ? 'no data' : level}`;
      const open = () => navigate({ view: 'entity', entity: `region/${code}` });
      const p = svg('path', {
        class: `region level-${level}`, d: path(f), 'data-code': code, 'data-level': level,
        tabindex: 0, role: 'link', 'aria-label': label,
        onclick: open, onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } },
      }, svg('title', {}, document.createTextNode(label)));
      regionsGroup.append(p);
    }
    map.append(regionsGroup);
    mapFigure = h('figure', { style: 'margin:0' }, map);
  }

  const rows = [...regions].sort((a, b) => RANK[b.level] - RANK[a.level] || a.entity.name.localeCompare(b.entity.name));
  const table = h('table', { 'aria-label': 'Regions and their level' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Region'), h('th', {}, 'Level'), h('th', {}, 'Now'), h('th', {}, 'Events'))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-code': r.entity.code },
      h('td', {}, h('a', { href: href({ view: 'entity', entity: r.location }) }, r.entity.name), ' ', h('span', { class: 'muted' }, r.entity.code)),
      h('td', {}, levelBadge(r.level)),
      h('td', {}, levelBadge(r.current)),
      h('td', {}, r.event_cnt ? h('a', { href: href({ view: 'events', country }) }, String(r.event_cnt)) : '0')))));
  main.replaceChildren(title, subtitle, legend, h('div', { class: 'map-layout' }, mapFigure, h('div', {}, table)));
}
