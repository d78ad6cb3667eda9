// SPDX-License-Identifier: AGPL-3.0-or-later
// One event: facts, schedule, links to the evidence report in every format and to the entity's charts.
import { api } from './api.js';
import { h } from './dom.js';
import { formatDuration, formatTime } from './time.js';
import { href } from './router.js';

export async function renderEvent(main, state) {
  if (!state.id) {
    main.replaceChildren(h('p', {}, 'No event selected. ',
      h('a', { href: href({ view: 'events' }) }, 'See the event list.')));
    return;
  }
  const e = await api.event(state.id);
  const pad = Math.max(6 * 3600, Math.min(3 * 86400, e.duration));
  const chartLink = href({
    view: 'entity', entity: e.location, id: '', from: e.start - pad, until: e.start + e.duration + pad,
  });
  const fact = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  const schedule = e.schedule
    ? `daily, off ${e.schedule.off_from_local}–${e.schedule.off_until_local} ${e.schedule.tz} local time, ` +
      `${e.schedule.first_day} … ${e.schedule.last_day} (confidence ${e.schedule.confidence})`
    : 'none (one-off)';
  main.replaceChildren(
    h('h1', {}, `Event ${e.id}: ${e.kind} in ${e.location_name}`),
    h('dl', { class: 'facts' },
      fact('Location', e.location),
      fact('Start', formatTime(e.start, state.zone)),
      fact('End', e.ongoing ? 'ongoing' : formatTime(e.end, state.zone)),
      fact('Duration', formatDuration(e.duration)),
      fact('Classification', e.classification || '—'),
      fact('Datasources', (e.datasources || []).join(', ')),
      fact('Score', Math.round(e.score).toLocaleString('en-US')),
      fact('Depth', String(e.depth)),
      fact('Schedule', schedule),
      fact('Coverage', e.coverage ? JSON.stringify(e.coverage) : '—')),
    h('h2', {}, 'Evidence'),
    h('p', {}, h('a', { id: 'report-link', href: e.reports.html }, 'Evidence report (HTML)'), ' · ',
      h('a', { href: e.reports.md }, 'Markdown'), ' · ', h('a', { href: e.reports.json }, 'JSON'), ' · ',
      h('a', { href: e.reports.csv }, 'CSV of the signals')),
    h('p', {}, h('a', { href: chartLink }, 'Signals around this event')));
}
