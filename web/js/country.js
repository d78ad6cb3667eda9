// SPDX-License-Identifier: AGPL-3.0-or-later
// Country page: the region map, the table of regions (the keyboard's way onto the map), the country's networks
// (ASNs) with their /24 counts and level, its events (the country's own and those of its regions and ASNs),
// and the annotations and reported shutdowns on any of them.
import { api } from './api.js';
import { h, levelBadge } from './dom.js';
import { formatDuration, formatTime, zoneLabel } from './time.js';
import { href } from './router.js';
import { RANK, loadJson, loadMapLibraries } from './geo.js';
import { regionMap, shapeUrl } from './map.js';

const byLevel = (show) => (a, b) => {
  const la = show === 'now' ? a.current : a.level, lb = show === 'now' ? b.current : b.level;
  return RANK[lb] - RANK[la] || a.entity.name.localeCompare(b.entity.name);
};

function regionTable(regions, show) {
  return h('table', { id: 'region-table' },
    h('caption', {}, `Regions (${regions.length}) and their level; each opens its signals`),
    h('thead', {}, h('tr', {},
      ['Region', 'Worst level', 'Level now', '/24 blocks', 'Events'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, [...regions].sort(byLevel(show)).map((r) => h('tr', { 'data-code': r.entity.code },
      h('th', { scope: 'row' }, h('a', { href: href({ view: 'entity', entity: r.location }) }, r.entity.name), ' ',
        h('span', { class: 'muted' }, r.entity.code)),
      h('td', {}, levelBadge(r.level)), h('td', {}, levelBadge(r.current)),
      h('td', { class: 'num' }, (r.entity.attrs.slash24_count || 0).toLocaleString('en-US')),
      h('td', { class: 'num' }, String(r.event_cnt))))));
}

function asnTable(asns) {
  const rows = [...asns].sort((a, b) => RANK[b.level] - RANK[a.level] ||
    (b.entity.attrs.slash24_count || 0) - (a.entity.attrs.slash24_count || 0));
  return h('table', { id: 'asn-table' },
    h('caption', {}, `Networks (${rows.length}), largest first within each level`),
    h('thead', {}, h('tr', {},
      ['Network', 'ASN', '/24 blocks', 'Worst level', 'Level now', 'Events'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-asn': r.entity.code },
      h('th', { scope: 'row' },
        h('a', { href: href({ view: 'entity', entity: r.location }) }, r.entity.name || `AS${r.entity.code}`)),
      h('td', {}, `AS${r.entity.code}`),
      h('td', { class: 'num' }, (r.entity.attrs.slash24_count || 0).toLocaleString('en-US')),
      h('td', {}, levelBadge(r.level)), h('td', {}, levelBadge(r.current)),
      h('td', { class: 'num' }, String(r.event_cnt))))));
}

function eventTable(events, zone) {
  return h('table', { id: 'country-events' },
    h('caption', {}, `Events (${events.length}), largest score first`),
    h('thead', {}, h('tr', {},
      ['Location', `Start (${zoneLabel(zone)})`, 'Duration', 'Kind', 'Classification', 'Score', 'Details']
        .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, events.map((e) => h('tr', { 'data-event-id': e.id },
      h('td', {}, h('a', { href: href({ view: 'entity', entity: e.location }) }, e.location_name || e.location)),
      h('td', {}, formatTime(e.start, zone)), h('td', {}, e.ongoing ? 'ongoing' : formatDuration(e.duration)),
      h('td', {}, e.kind), h('td', {}, e.classification || '—'),
      h('td', { class: 'num' }, Math.round(e.score).toLocaleString('en-US')),
      h('td', {}, h('a', { href: href({ view: 'event', id: e.id }) }, 'event page'))))));
}

function annotationList(annotations, zone) {
  return h('ul', { id: 'country-annotations' }, annotations.map((a) => h('li', { 'data-kind': a.kind },
    h('strong', {}, a.kind === 'reported-shutdown' ? 'Reported shutdown' : a.kind), ` (${a.entity_name || a.entity}), `,
    `${formatTime(a.start, zone)}${a.end ? ` – ${formatTime(a.end, zone)}` : ''}: ${a.text} `,
    /^https?:\/\//.test(a.source_url) ? h('a', { href: a.source_url, rel: 'noopener noreferrer' }, 'source') : '',
    a.attribution ? h('span', { class: 'muted' }, ` ${a.attribution}`) : '')));
}

export async function renderCountry(main, state) {
  const country = (state.country || '').toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) {
    main.replaceChildren(h('p', {}, 'No country selected. ',
      h('a', { href: href({ view: 'world' }) }, 'Open the world view.')));
    return;
  }
  const range = { from: state.from, until: state.until };
  const show = state.show === 'now' ? 'now' : 'worst';
  const ref = `country/${country}`;
  const [countryStatus, regions, asns, own, related, annotations, shapes, world] = await Promise.all([
    api.status({ ...range, entityType: 'country', entityCode: country }),
    api.status({ ...range, entityType: 'region', relatedTo: ref }),
    api.status({ ...range, entityType: 'asn', relatedTo: ref }),
    api.events({ ...range, entityType: 'country', entityCode: country, orderBy: 'score/desc' }),
    api.events({ ...range, relatedTo: ref, orderBy: 'score/desc' }),
    api.annotations(range).catch(() => []),
    loadJson(shapeUrl(country)).catch(() => null),
    loadJson('/vendor/world-atlas/countries-50m.json').catch(() => null),
    loadMapLibraries().catch(() => null),
  ]);
  const item = countryStatus[0];
  const name = item ? item.entity.name : country;
  const events = [...own, ...related].sort((a, b) => b.score - a.score);
  const mine = new Set([ref, ...regions.map((r) => r.location), ...asns.map((r) => r.location)]);
  const notes = annotations.filter((a) => mine.has(a.entity)).sort((a, b) => a.start - b.start);
  const byCode = new Map(regions.map((r) => [r.entity.code, r]));

  const header = [
    h('h1', {}, name, ' ', h('span', { class: 'muted' }, country)),
    h('p', { class: 'muted' },
      `Between ${formatTime(state.from, state.zone)} and ${formatTime(state.until, state.zone)}. `),
    item ? h('p', { class: 'country-level' },
      'Country: worst level ', levelBadge(item.level), ', level now ', levelBadge(item.current), ', ',
      `${(item.entity.attrs.slash24_count || 0).toLocaleString('en-US')} /24 blocks. `,
      h('a', { href: href({ view: 'entity', entity: ref }) }, 'Country signals'), ' · ',
      h('a', { href: href({ view: 'events', country }) }, 'all events'))
      : h('p', {}, `Vigil has no data for ${country}.`),
  ];
  const legend = h('div', { class: 'legend', 'aria-label': 'Legend' },
    ...['normal', 'warning', 'critical', 'no-data'].map((level) => h('span', {}, levelBadge(level))));
  const map = regionMap(shapes, world, byCode, country, { show });
  const regionsPart = regions.length ? regionTable(regions, show)
    : h('p', {}, 'No regions of this country are in the store.');
  main.replaceChildren(...header, legend, h('div', { class: 'map-layout' }, map, h('div', {}, regionsPart)),
    h('h2', {}, 'Networks'), asns.length ? asnTable(asns) : h('p', {}, 'No networks of this country are in the store.'),
    h('h2', {}, 'Events'), events.length ? eventTable(events, state.zone) : h('p', {}, 'No events in this window.'),
    h('h2', {}, 'Annotations and reported shutdowns'),
    notes.length ? annotationList(notes, state.zone) : h('p', {}, 'None in this window.'),
    h('p', {}, h('a', { id: 'country-mvr', href: href({ view: 'reported', country }) }, 'Measured vs reported'),
      ': reported shutdowns beside the detected events, in one table'));
  // Focusing or hovering a region row outlines the region on the map.
  const svgMap = main.querySelector('svg.map');
  if (svgMap) {
    const mark = (row, on) => {
      for (const p of svgMap.querySelectorAll(`path.region[data-code="${row.dataset.code}"]`)) {
        p.classList.toggle('highlight', on);
      }
    };
    for (const [type, on] of [['focusin', true], ['mouseover', true], ['focusout', false], ['mouseout', false]]) {
      main.querySelector('#region-table')?.addEventListener(type, (e) => {
        const r = e.target.closest('tr[data-code]');
        if (r) mark(r, on);
      });
    }
  }
  if (!performance.getEntriesByName('vigil-country-render').length) performance.mark('vigil-country-render');
}
