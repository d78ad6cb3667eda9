// SPDX-License-Identifier: AGPL-3.0-or-later
// World view (the landing page): every country coloured by its worst level in the window (or its level now,
// at the window's end), and a ranked outage table like IODA's outage summary. The map is a picture of the
// tables below it: every country it colours is also a row with its level written out and a link.
import { api } from './api.js';
import { h, svg, levelBadge } from './dom.js';
import { formatTime } from './time.js';
import { href, navigate } from './router.js';
import { RANK, countryCodeOf, hatchDefs, loadJson, loadMapLibraries } from './geo.js';

const WORLD = '/vendor/world-atlas/countries-110m.json';
const ANTARCTICA = '010';

export function countryHref(code) {
  return href({ view: 'country', country: code, entity: '', id: '' });
}

function levelText(level) {
  return level === 'no-data' ? 'no data' : level;
}

// "Now" is the window's end; it is the live state when the window ends at the newest data in the store.
async function isLive(until) {
  try {
    const health = await api.health();
    return Boolean(health.data_until) && until >= health.data_until - 3600;
  } catch {
    return false;
  }
}

function drawMap(world, codeOf, byCode, show) {
  const width = 960, height = 470;
  const land = topojson.feature(world, world.objects.countries);
  land.features = land.features.filter((f) => f.id !== ANTARCTICA);
  const projection = d3.geoNaturalEarth1().fitExtent([[4, 4], [width - 4, height - 4]], land);
  const path = d3.geoPath(projection);
  const map = svg('svg', { class: 'map world', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': 'World map of connectivity levels by country; the tables below list every country shown' });
  map.append(hatchDefs());
  const group = svg('g', {});
  for (const f of land.features) {
    const d = path(f);
    if (!d) continue;
    const code = codeOf(f);
    const item = code ? byCode.get(code) : null;
    const level = item ? (show === 'now' ? item.current : item.level) : 'unmonitored';
    const name = item ? item.entity.name : f.properties.name;
    const label = `${name}${code ? ` (${code})` : ''}: ${item ? levelText(level) : 'not monitored'}`;
    const attrs = { class: `country level-${level}`, d, 'data-code': code || '', 'data-level': level };
    if (item) attrs.onclick = () => navigate({ view: 'country', country: code });
    group.append(svg('path', attrs, svg('title', {}, document.createTextNode(label))));
  }
  map.append(group);
  return map;
}

// Hovering or focusing a row outlines its country on the map: the keyboard's way onto the map.
function linkRowsToMap(table, map) {
  const mark = (code, on) => {
    for (const p of map.querySelectorAll(`path.country[data-code="${code}"]`)) p.classList.toggle('highlight', on);
  };
  const markRow = (on) => (e) => {
    const r = e.target.closest('tr[data-code]');
    if (r) mark(r.dataset.code, on);
  };
  for (const type of ['focusin', 'mouseover']) table.addEventListener(type, markRow(true));
  for (const type of ['focusout', 'mouseout']) table.addEventListener(type, markRow(false));
}

function rankedTable(summary, byCode) {
  const rows = summary.map((s, i) => {
    const code = s.entity.code, status = byCode.get(code);
    const datasources = Object.keys(s.scores).filter((k) => k !== 'overall').map((k) => k.replace(/\.median$/, ''));
    return h('tr', { 'data-code': code, 'data-score': s.scores.overall },
      h('td', {}, String(i + 1)),
      h('th', { scope: 'row' }, h('a', { href: countryHref(code) }, s.entity.name), ' ',
        h('span', { class: 'muted' }, code)),
      h('td', { class: 'num' }, Math.round(s.scores.overall).toLocaleString('en-US')),
      h('td', { class: 'num' }, String(s.event_cnt)),
      h('td', {}, status ? levelBadge(status.level) : '—'),
      h('td', {}, status ? levelBadge(status.current) : '—'),
      h('td', {}, datasources.join(', ')));
  });
  return h('table', { id: 'outage-summary' },
    h('caption', {}, 'Outage summary: countries ranked by the summed score of their events in the window'),
    h('thead', {}, h('tr', {},
      ['Rank', 'Country', 'Score', 'Events', 'Worst level', 'Level now', 'Signals']
        .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows));
}

function allCountriesTable(statuses, show) {
  const rows = [...statuses].sort((a, b) => {
    const la = show === 'now' ? a.current : a.level, lb = show === 'now' ? b.current : b.level;
    return RANK[lb] - RANK[la] || a.entity.name.localeCompare(b.entity.name);
  });
  return h('table', { id: 'country-levels' },
    h('caption', {}, `Every monitored country (${rows.length}) and its level`),
    h('thead', {}, h('tr', {},
      ['Country', 'Worst level', 'Level now', 'Events'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-code': r.entity.code },
      h('th', { scope: 'row' }, h('a', { href: countryHref(r.entity.code) }, r.entity.name), ' ',
        h('span', { class: 'muted' }, r.entity.code)),
      h('td', {}, levelBadge(r.level)), h('td', {}, levelBadge(r.current)),
      h('td', { class: 'num' }, String(r.event_cnt))))));
}

export async function renderWorld(main, state) {
  const range = { from: state.from, until: state.until };
  const show = state.show === 'now' ? 'now' : 'worst';
  const [statuses, summary, world, codeOf, live] = await Promise.all([
    api.status({ ...range, entityType: 'country' }),
    api.summary({ ...range, entityType: 'country' }),
    loadJson(WORLD).catch(() => null),
    countryCodeOf().catch(() => () => null),
    isLive(state.until),
    loadMapLibraries().catch(() => null),
  ]);
  const byCode = new Map(statuses.map((s) => [s.entity.code, s]));
  const ongoing = statuses.filter((s) => s.current === 'critical' || s.current === 'warning')
    .sort((a, b) => RANK[b.current] - RANK[a.current] || a.entity.name.localeCompare(b.entity.name));

  const when = live ? 'Now' : `At the window's end (${formatTime(state.until, state.zone)})`;
  const nowBox = h('section', { class: 'now', 'aria-labelledby': 'now-title' },
    h('h2', { id: 'now-title' }, live ? 'Now' : 'At the end of the window'),
    ongoing.length
      ? h('p', {}, `${when}: ${ongoing.length} ${ongoing.length === 1 ? 'country' : 'countries'} below normal: `,
        ongoing.map((s, i) => h('span', {}, i ? ', ' : '',
          h('a', { href: countryHref(s.entity.code) }, s.entity.name), ' ', levelBadge(s.current))))
      : h('p', {}, `${when}: every monitored country is at its normal level or has no data.`));

  const choice = h('fieldset', { class: 'show' }, h('legend', {}, 'Colour countries by'),
    ...[['worst', 'worst level in the window'], ['now', 'level now (at the window\u2019s end)']].map(([value, text]) =>
      h('label', {}, h('input', { type: 'radio', name: 'show', value, checked: show === value,
        onchange: () => navigate({ show: value === 'worst' ? '' : value }, { replace: true }) }), ` ${text}`)));
  const legend = h('div', { class: 'legend', 'aria-label': 'Legend' },
    ...['normal', 'warning', 'critical', 'no-data'].map((level) => h('span', {}, levelBadge(level))),
    h('span', {}, h('span', { class: 'badge level-unmonitored' }, 'not monitored')));

  const mapBox = world && window.d3 && window.topojson ? drawMap(world, codeOf, byCode, show)
    : h('p', { class: 'muted' }, 'The world map could not be loaded; the tables below hold every country.');
  const ranked = summary.length ? rankedTable(summary, byCode)
    : h('p', { id: 'outage-summary-empty' }, 'No outages were detected in this window.');
  const all = allCountriesTable(statuses, show);
  main.replaceChildren(
    h('h1', {}, 'World: Internet connectivity by country'),
    h('p', { class: 'muted' },
      `Between ${formatTime(state.from, state.zone)} and ${formatTime(state.until, state.zone)}. `,
      `${statuses.length} ${statuses.length === 1 ? 'country' : 'countries'} monitored; ` +
      `${summary.length} with outages in the window.`),
    nowBox, h('div', { class: 'map-controls' }, choice, legend), h('figure', { class: 'world-map' }, mapBox),
    h('h2', {}, 'Outages in this window'), ranked,
    h('h2', {}, 'All monitored countries'), all);
  if (mapBox.tagName === 'svg') {
    linkRowsToMap(main, mapBox);
  }
  if (!performance.getEntriesByName('vigil-world-render').length) performance.mark('vigil-world-render');
}
