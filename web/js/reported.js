// SPDX-License-Identifier: AGPL-3.0-or-later
// Measured vs reported: one table of a country's reported shutdowns (imported, e.g. Access Now #KeepItOn) beside the
// events Vigil detected there, from /api/v1/measured-vs-reported (the matching rule is in docs/api.md). One row per
// report with the events it matched, then one row per detected event no report matched.
import { api } from './api.js';
import { h } from './dom.js';
import { formatDuration, formatTime, zoneLabel } from './time.js';
import { href, navigate } from './router.js';

// Reports give calendar days; the API stores them as UTC days with an exclusive end at the next midnight.
const day = (t) => new Date(t * 1000).toISOString().slice(0, 10);
function reportDays(r) {
  if (!r.end_known) return `${day(r.start)} – end unknown`;
  const last = day(r.end - 86400);
  return last === day(r.start) ? day(r.start) : `${day(r.start)} – ${last}`;
}

// Where a number comes from, written out (GUIDE: observed, imported or simulated; never left to be guessed). `p` is
// the API's provenance object {kind, kinds}.
function provenanceBadge(p) {
  const kind = p && p.kind ? p.kind : 'unrecorded';
  const words = { simulated: 'simulated', observed: 'observed', imported: 'imported',
    unrecorded: 'provenance not recorded', none: 'no data behind it' };
  const text = kind === 'mixed' ? `mixed: ${p.kinds.join(' + ')}` : words[kind] || kind;
  return h('span', { class: `badge provenance provenance-${kind}` }, text);
}

function eventItem(e, zone) {
  return h('li', { 'data-event-id': e.id, 'data-provenance': e.provenance.kind },
    h('a', { href: href({ view: 'event', id: e.id }) }, e.location_name || e.location), ' ',
    h('span', { class: 'muted' }, e.location), ', ', formatTime(e.start, zone), ', ',
    e.ongoing ? 'ongoing' : formatDuration(e.end - e.start), `, ${e.classification || e.kind} `,
    provenanceBadge(e.provenance));
}

function reportCell(r) {
  const link = /^https?:\/\//.test(r.source_url)
    ? h('a', { href: r.source_url, rel: 'noopener noreferrer' }, 'source') : '';
  return h('td', {},
    h('strong', {}, reportDays(r)), ` ${r.entity_name} `, h('span', { class: 'muted' }, r.entity), h('br'),
    `${r.type || 'Shutdown'}${r.networks && r.networks.length ? ` (${r.networks.join(', ')})` : ''}`,
    r.cause ? `; cause: ${r.cause}` : '', '. ', link, ' ', provenanceBadge(r.provenance),
    r.attribution ? h('span', { class: 'muted' }, ` ${r.attribution}`) : '');
}

function eventsCell(events, zone) {
  if (!events.length) return h('td', {}, '—');
  const list = h('ul', { class: 'matched-events' }, events.map((e) => eventItem(e, zone)));
  if (events.length <= 3) return h('td', {}, list);
  // Folded, the summary still says where the events come from.
  const places = new Set(events.map((e) => e.location));
  const kinds = [...new Map(events.map((e) => [JSON.stringify(e.provenance), e.provenance])).values()];
  return h('td', {}, h('details', {}, h('summary', {}, `${events.length} detected events on ${places.size} entities, `,
    kinds.map((k) => provenanceBadge(k))), list));
}

function matchCell(text, className) {
  return h('td', {}, h('span', { class: `match ${className}` }, text));
}

function reportRow(r, eventsById, zone) {
  const matched = r.matched_events.map((id) => eventsById.get(id));
  const simulatedOnly = matched.length && matched.every((e) => e.provenance.kind === 'simulated');
  const match = simulatedOnly ? matchCell('reported; detected in simulated data, not measured', 'both simulated')
    : matched.length ? matchCell('reported and detected', 'both')
    : r.data_in_window ? matchCell('reported, not detected', 'report-only')
      : matchCell('reported; no measurements in its window', 'no-data');
  return h('tr', { 'data-report-id': r.id, 'data-start': r.start, 'data-matched': matched.length },
    reportCell(r), eventsCell(matched, zone), match);
}

function eventRow(e, zone) {
  return h('tr', { 'data-event-id': e.id, 'data-matched': 0 },
    h('td', {}, h('span', { class: 'muted' }, 'no report')), eventsCell([e], zone),
    matchCell('detected, not reported', 'event-only'));
}

function summaryText(s) {
  return `${s.reports} reported shutdown(s): ${s.reports_with_event} with a detected event, ` +
    `${s.reports_without_event} without` +
    `${s.reports_without_data ? ` (${s.reports_without_data} where Vigil has no measurements)` : ''}. ` +
    `${s.events} detected event(s): ${s.events_with_report} with a report, ${s.events_without_report} without.`;
}

export async function renderReported(main, state) {
  const country = (state.country || '').toUpperCase();
  const countries = await api.entities({ entityType: 'country' });
  const select = h('select', { name: 'country', onchange: (e) => navigate({ country: e.target.value }) },
    h('option', { value: '' }, 'Choose a country'),
    countries.map((c) => h('option', { value: c.code, selected: c.code === country }, `${c.name} (${c.code})`)));
  const filters = h('form', { class: 'filters', 'aria-label': 'Country', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Country', select));
  if (!/^[A-Z]{2}$/.test(country)) {
    main.replaceChildren(h('h1', {}, 'Measured vs reported'), filters,
      h('p', {}, 'Choose a country to compare its reported shutdowns with the events Vigil detected.'));
    return;
  }
  const query = { country, from: state.from, until: state.until };
  const data = await api.measuredVsReported(query);
  const eventsById = new Map(data.events.map((e) => [e.id, e]));
  const unreported = data.events.filter((e) => !e.matched_reports.length);
  const anySimulated = data.events.some((e) => e.provenance.kinds.includes('simulated'));
  const table = h('table', { id: 'mvr-table' },
    h('caption', {}, `Reported shutdowns and detected events, ${data.country_name || country}, ` +
      `${formatTime(state.from, state.zone)} – ${formatTime(state.until, state.zone)}`),
    h('thead', {}, h('tr', {},
      ['Reported shutdown (imported)', `Detected events (${zoneLabel(state.zone)})`, 'Match']
        .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, data.reports.map((r) => reportRow(r, eventsById, state.zone)),
      unreported.map((e) => eventRow(e, state.zone))));
  const csv = `/api/v1/measured-vs-reported?${new URLSearchParams({ ...query, format: 'csv' })}`;
  main.replaceChildren(...[
    h('h1', {}, `Measured vs reported: ${data.country_name || country}`), filters,
    h('p', { id: 'mvr-summary' }, summaryText(data.summary)),
    anySimulated ? h('p', { class: 'provenance-note', role: 'note' },
      'The detected events below were found in a simulated scenario\'s data, not in measurements: ' +
      'they show how Vigil would see such a shutdown, not that it saw this one.') : null,
    h('p', { class: 'muted' },
      'A report matches an event on the same country (or, for a report naming a region, that region or the whole ' +
      `country) whose time overlaps the report's days widened by ${Math.round(data.tolerance_s / 3600)} h on each ` +
      'side; a report with an unknown end is taken to last to the end of the range. Every matching pair counts, ' +
      'so one report may match many events and one event several reports.'),
    data.reports.length || data.events.length ? table
      : h('p', {}, 'No reported shutdowns and no detected events in this range.'),
    h('p', {}, h('a', { href: csv, download: '' }, 'Download this table as CSV'))].filter(Boolean));
}
