// SPDX-License-Identifier: AGPL-3.0-or-later
// Event list: filter by country, kind and the time range; sort by time or score.
import { api } from './api.js';
import { h } from './dom.js';
import { formatDuration, formatTime, zoneLabel } from './time.js';
import { href, navigate } from './router.js';

export async function renderEvents(main, state) {
  const range = { from: state.from, until: state.until };
  const countries = await api.entities({ entityType: 'country' });
  const country = state.country;
  const sort = state.sort === 'score' ? 'score' : 'time';
  const orderBy = sort === 'score' ? 'score/desc' : 'time/asc';
  let events;
  if (country) {
    const [own, related] = await Promise.all([
      api.events({ ...range, entityType: 'country', entityCode: country, orderBy }),
      api.events({ ...range, relatedTo: `country/${country}`, orderBy }),
    ]);
    events = [...own, ...related];
  } else {
    events = await api.events({ ...range, orderBy });
  }
  if (state.kind) events = events.filter((e) => e.kind === state.kind || e.classification === state.kind);
  events.sort(sort === 'score' ? (a, b) => b.score - a.score : (a, b) => a.start - b.start);

  const countrySelect = h('select', { name: 'country', onchange: (e) => navigate({ country: e.target.value }) },
    h('option', { value: '' }, 'All countries'),
    countries.map((c) => h('option', { value: c.code, selected: c.code === country }, `${c.name} (${c.code})`)));
  const kinds = ['outage', 'throttling', 'routing', 'data-plane', 'routing+data-plane'];
  const kindSelect = h('select', { name: 'kind', onchange: (e) => navigate({ kind: e.target.value }) },
    h('option', { value: '' }, 'All kinds'),
    kinds.map((k) => h('option', { value: k, selected: k === state.kind }, k)));
  const sortSelect = h('select', { name: 'sort', onchange: (e) => navigate({ sort: e.target.value }) },
    h('option', { value: 'time', selected: sort === 'time' }, 'Start time (oldest first)'),
    h('option', { value: 'score', selected: sort === 'score' }, 'Score (largest first)'));
  const filters = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Country', countrySelect), h('label', {}, 'Kind or classification', kindSelect),
    h('label', {}, 'Sort by', sortSelect));

  const sortHeader = (key, text) => h('th',
    { 'aria-sort': sort === key ? (key === 'score' ? 'descending' : 'ascending') : 'none' },
    h('button', { type: 'button', onclick: () => navigate({ sort: key }) }, text));
  const table = h('table', { id: 'event-table', 'aria-label': 'Events' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Location'), h('th', {}, 'Kind'), h('th', {}, 'Classification'),
      sortHeader('time', `Start (${zoneLabel(state.zone)})`), h('th', {}, 'Duration'), sortHeader('score', 'Score'),
      h('th', {}, 'Pattern'), h('th', {}, 'Details'))),
    h('tbody', {}, events.map((e) => h('tr',
      { 'data-event-id': e.id, 'data-score': e.score, 'data-start': e.start, 'data-location': e.location },
      h('td', {}, h('a', { href: href({ view: 'entity', entity: e.location }) }, e.location_name || e.location), ' ',
        h('span', { class: 'muted' }, e.location)),
      h('td', {}, e.kind),
      h('td', {}, e.classification || '—'),
      h('td', {}, formatTime(e.start, state.zone)),
      h('td', {}, e.ongoing ? `ongoing (${formatDuration(e.duration)})` : formatDuration(e.duration)),
      h('td', {}, Math.round(e.score).toLocaleString('en-US')),
      h('td', {}, e.schedule_id ? 'daily curfew' : 'one-off'),
      h('td', {}, h('a', { href: href({ view: 'event', id: e.id }) }, 'event page'))))));
  main.replaceChildren(h('h1', {}, 'Events'),
    h('p', { class: 'muted' },
      `${events.length} events overlapping ${formatTime(state.from, state.zone)} – ` +
      `${formatTime(state.until, state.zone)}.`),
    filters, events.length ? table : h('p', {}, 'No events in this range.'));
}
