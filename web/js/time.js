// SPDX-License-Identifier: AGPL-3.0-or-later
// Time display: ISO 8601 dates and 24-hour times everywhere (text, tables, chart axes and legends), in UTC or the
// shown entity's own time zone. The choice lives in the URL (tz=utc|local); "local" means the entity's zone (its
// `attrs.tz` from the API), not the viewer's, so a shared link reads the same on every machine. Only when the
// entity has no zone does "local" fall back to the browser's.
import { api } from './api.js';

const pad = (n) => String(n).padStart(2, '0');

export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// Offset in minutes of an IANA zone at a UTC instant.
export function zoneOffsetMinutes(zone, seconds) {
  if (zone === 'UTC') return 0;
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    }).formatToParts(new Date(seconds * 1000));
    const get = (t) => Number(parts.find((p) => p.type === t).value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
    return Math.round((asUtc - Math.floor(seconds / 60) * 60000) / 60000);
  } catch {
    return 0;
  }
}

// Wall-clock fields of an instant in a zone: a Date whose UTC getters read the zone's local time.
function wallClock(seconds, zone) {
  return new Date((seconds + zoneOffsetMinutes(zone, seconds) * 60) * 1000);
}
const isoDate = (w) => `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}`;
const isoClock = (w) => `${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;

export function offsetLabel(zone, seconds) {
  const offset = zoneOffsetMinutes(zone, seconds);
  if (zone === 'UTC') return 'UTC';
  const sign = offset >= 0 ? '+' : '-';
  return `UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

// The zone a view shows: 'UTC', or for tz=local the zone of the view's entity (the entity page's entity, the
// map's or event list's country, the event's location), else the browser's.
export async function resolveZone(state) {
  if (state.tz !== 'local') return 'UTC';
  try {
    let ref = state.entity;
    if (!ref && state.view === 'event' && state.id) ref = (await api.event(state.id)).location;
    if (!ref && (state.country || state.view === 'map')) ref = `country/${(state.country || 'KZ').toUpperCase()}`;
    if (ref) {
      const [type, code] = ref.split('/');
      const info = await api.entities({ entityType: type, entityCode: code });
      if (info[0] && info[0].attrs && info[0].attrs.tz) return info[0].attrs.tz;
    }
  } catch {
    // No entity zone to be had: the browser's zone, still labelled with its name and offset.
  }
  return browserZone();
}

export function zoneLabel(zone) {
  return zone === 'UTC' ? 'UTC' : `local (${zone})`;
}

// "2022-01-05 06:00 UTC+06:00" (or "… UTC"): ISO 8601 date, 24-hour time, the offset always written.
export function formatTime(seconds, zone) {
  if (seconds === null || seconds === undefined) return '—';
  const w = wallClock(seconds, zone);
  return `${isoDate(w)} ${isoClock(w)} ${offsetLabel(zone, seconds)}`;
}

// uPlot time-axis labels: the 24-hour time, with the ISO date under it on the first tick and wherever the date
// changes (uPlot's default is US style, "1/4/22 12am").
export function axisLabels(zone) {
  return (u, splits) => {
    let lastDate = null;
    return splits.map((t) => {
      if (t === null || t === undefined) return null;
      const w = wallClock(t, zone);
      const date = isoDate(w);
      const label = date === lastDate ? isoClock(w) : `${isoClock(w)}\n${date}`;
      lastDate = date;
      return label;
    });
  };
}

// uPlot's tzDate option: ticks fall on the zone's round hours and midnights.
export function chartDate(zone) {
  return (t) => uPlot.tzDate(new Date(t * 1e3), zone === 'UTC' ? 'Etc/UTC' : zone);
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const d = Math.floor(seconds / 86400), hr = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return [d && `${d} d`, hr && `${hr} h`, (m || (!d && !hr)) && `${m} min`].filter(Boolean).join(' ');
}

// Value for <input type="datetime-local"> in the shown zone, and back.
export function toInput(seconds, zone) {
  const w = wallClock(seconds, zone);
  return `${isoDate(w)}T${isoClock(w)}`;
}

export function fromInput(value, zone) {
  if (!value) return null;
  const asUtc = Date.parse(`${value}:00Z`);
  if (!Number.isFinite(asUtc)) return null;
  const wall = Math.floor(asUtc / 1000);
  // The offset in force at the instant itself (twice, so a DST change between the guesses settles).
  const guess = wall - zoneOffsetMinutes(zone, wall) * 60;
  return wall - zoneOffsetMinutes(zone, guess) * 60;
}
