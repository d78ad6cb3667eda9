// SPDX-License-Identifier: AGPL-3.0-or-later
// Entity page: every signal of a country, region or ASN on one shared time axis (one chart per signal,
// cursors synced), events shaded, annotations as bands on top, the inferred curfew as a daily band below.
import { api } from './api.js';
import { h } from './dom.js';
import { axisLabels, chartDate, formatDuration, formatTime, zoneLabel, zoneOffsetMinutes } from './time.js';
import { href } from './router.js';

const LABELS = {
  bgp: 'BGP: visible /24 blocks', 'bgp-v6': 'BGP (IPv6): visible /48 blocks',
  'ping-slash24': 'Active probing: /24 blocks up',
  'rtt-p50': 'Median round-trip time (ms)', loss: 'Probe loss (fraction)',
};
const COLOURS = ['#0072b2', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];

// The schedule's off-window on each day it was actually seen: the days of the events detection attached to
// it (schedule_id), not every day from first_day to last_day. A schedule may span days that were not
// curfew nights (a multi-day blackout between two curfew runs, every-other-day patterns), and painting the
// daily window over those would claim a curfew that nobody observed. UTC seconds.
function curfewWindows(schedule, events, from, until) {
  const tz = schedule.tz || 'UTC';
  // UTC label of the local date
  const localDay = (t) => Math.floor((t + zoneOffsetMinutes(tz, t) * 60) / 86400) * 86400;
  const [y0, m0, d0] = schedule.first_day.split('-').map(Number);
  const [y1, m1, d1] = schedule.last_day.split('-').map(Number);
  const firstDay = Date.UTC(y0, m0 - 1, d0) / 1000, lastDay = Date.UTC(y1, m1 - 1, d1) / 1000;
  const days = new Set();
  for (const e of events) {
    if (e.schedule_id !== schedule.id) continue;
    const day = localDay(e.start);
    if (day >= firstDay && day <= lastDay) days.add(day);
  }
  const out = [];
  if (schedule.on_start_min === schedule.on_end_min) return out;  // no off-window to draw
  for (const day of [...days].sort((a, b) => a - b)) {
    // Local midnight of that date, with the offset in force at the window's start (DST-safe).
    const guess = day + schedule.on_end_min * 60;
    const start = guess - zoneOffsetMinutes(tz, guess - zoneOffsetMinutes(tz, guess) * 60) * 60;
    const length = ((schedule.on_start_min - schedule.on_end_min + 1440) % 1440) * 60;
    const end = start + length;
    if (end > from && start < until) out.push({ start, end });
  }
  return out;
}

function placeBands(u, bands) {
  for (const el of u.over.querySelectorAll('.band')) el.remove();
  const width = u.over.clientWidth;
  for (const band of bands) {
    const left = Math.max(0, u.valToPos(band.start, 'x'));
    const right = Math.min(width, u.valToPos(band.end, 'x'));
    if (!(right > left)) continue;
    const el = h('div', { class: `band ${band.kind}`, title: band.title, ...band.data });
    el.style.left = `${left}px`;
    el.style.width = `${Math.max(2, right - left)}px`;
    if (band.label) el.append(h('span', { class: 'band-label' }, band.label));
    u.over.append(el);
  }
}

export async function renderEntity(main, state) {
  const [type, code] = (state.entity || '').split('/');
  if (!type || !code) {
    main.replaceChildren(h('p', {}, 'No entity selected. ', h('a', { href: href({ view: 'map' }) }, 'Open the map.')));
    return;
  }
  const { from, until, zone } = state;
  // One request for every signal, at no more points than the chart has pixels; the rest (events, annotations,
  // schedules, the entity's name) is asked for at the same time but drawn after the charts.
  const width = Math.max(320, Math.min(main.clientWidth || 900, 1200));
  const signalsRequest = api.signals(type, code, from, until, width);
  const eventsRequest = api.events({ from, until, entityType: type, entityCode: code });
  const annotationsRequest = api.annotations({ from, until, entity: state.entity });
  const schedulesRequest = api.schedules({ entity: state.entity });
  const infoRequest = api.entities({ entityType: type, entityCode: code });
  for (const request of [eventsRequest, annotationsRequest, schedulesRequest, infoRequest]) request.catch(() => {});

  const title = h('h1', {}, `${code} `, h('span', { class: 'muted' }, state.entity));
  const header = [
    title,
    h('p', { class: 'muted' }, `${formatTime(from, zone)} – ${formatTime(until, zone)}; axis in ${zoneLabel(zone)}. `,
      h('span', {}, h('span', { class: 'swatch', style: 'background:var(--event)' }), 'event '),
      h('span', {}, h('span', { class: 'swatch', style: 'background:var(--annotation)' }), 'annotation (top) '),
      h('span', {}, h('span', { class: 'swatch', style: 'background:var(--curfew)' }), 'inferred curfew (bottom)')),
  ];
  const series = (await signalsRequest)[0] || [];
  const charts = h('div', { id: 'charts' });
  main.replaceChildren(...header, charts);
  if (!series.length) charts.append(h('p', {}, 'No signal data for this entity in this range.'));

  const bands = [];
  const plots = [];
  const sync = window.uPlot ? uPlot.sync('vigil-entity') : null;
  series.forEach((s, i) => {
    const xs = s.values.map((_, k) => s.from + k * s.step);
    const box = h('div', { class: 'chart', 'data-datasource': s.datasource },
      h('h2', {}, LABELS[s.datasource] || s.datasource, h('span', { class: 'muted' }, ` (step ${s.step / 60} min)`)));
    charts.append(box);
    const opts = {
      width, height: 170,
      scales: { x: { time: true, min: from, max: until } },
      series: [{ label: 'time', value: (u, t) => formatTime(t, zone) },
        { label: s.datasource, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: false }],
      axes: [{ values: axisLabels(zone), size: 50 }, { size: 60 }],
      legend: { show: true },
      cursor: sync ? { sync: { key: sync.key } } : {},
      tzDate: chartDate(zone),
      hooks: { setSize: [(u) => placeBands(u, bands)], setScale: [(u) => placeBands(u, bands)] },
    };
    const plot = new uPlot(opts, [xs, s.values], box);
    if (sync) sync.sub(plot);
    plots.push(plot);
    // Navigation start to the first chart on screen: the browser test prints it.
    if (i === 0 && !performance.getEntriesByName('vigil-first-chart').length) performance.mark('vigil-first-chart');
  });

  const [events, annotations, schedules, info] = await Promise.all(
    [eventsRequest, annotationsRequest, schedulesRequest, infoRequest]);
  const entity = info[0];
  if (entity) title.firstChild.textContent = `${entity.name} `;
  for (const e of events) {
    bands.push({ kind: 'event', start: e.start, end: e.start + e.duration, title: `${e.kind} (${e.classification})`,
      label: e.classification || e.kind, data: { 'data-event-id': e.id } });
  }
  for (const a of annotations) {
    bands.push({ kind: 'annotation', start: a.start, end: a.end || until, title: `${a.kind}: ${a.text}`,
      data: { 'data-annotation-id': a.id } });
  }
  for (const s of schedules) {
    for (const w of curfewWindows(s, events, from, until)) {
      bands.push({ kind: 'curfew', start: w.start, end: w.end,
        title: `curfew ${s.off_from_local}–${s.off_until_local} ${s.tz}`, data: { 'data-schedule-id': s.id } });
    }
  }
  for (const plot of plots) placeBands(plot, bands);

  const eventRows = events.map((e) => h('tr', {},
    h('td', {}, formatTime(e.start, zone)), h('td', {}, e.ongoing ? 'ongoing' : formatDuration(e.duration)),
    h('td', {}, e.kind), h('td', {}, h('strong', {}, e.classification || '—')),
    h('td', {}, e.schedule_id ? 'daily curfew' : 'one-off'),
    h('td', {}, h('a', { href: href({ view: 'event', id: e.id }) }, 'event page'))));
  charts.after(
    h('h2', {}, 'Events'),
    events.length ? h('table', {},
      h('thead', {}, h('tr', {},
        ['Start', 'Duration', 'Kind', 'Classification', 'Pattern', 'Details'].map((t) => h('th', {}, t)))),
      h('tbody', {}, eventRows)) : h('p', {}, 'No events in this range.'),
    h('h2', {}, 'Annotations'),
    annotations.length ? h('ul', {}, annotations.map((a) => h('li', {},
      `${a.kind}, from ${formatTime(a.start, zone)}: ${a.text} `,
      /^https?:\/\//.test(a.source_url) ? h('a', { href: a.source_url, rel: 'noopener noreferrer' }, 'source') : '')))
      : h('p', {}, 'None.'),
    h('h2', {}, 'Inferred schedules'),
    schedules.length ? h('ul', {}, schedules.map((s) => h('li', {},
      `Off daily ${s.off_from_local}–${s.off_until_local} (${s.tz}), ${s.first_day} … ${s.last_day}, ` +
      `confidence ${s.confidence}`)))
      : h('p', {}, 'None.'),
    h('p', {}, h('a', { href: `/api/v1/export?entity=${encodeURIComponent(state.entity)}&from=${from}&until=${until}` },
      'Download the raw series (CSV)')));
}
