// SPDX-License-Identifier: AGPL-3.0-or-later
// Time display in UTC or the browser's local zone; the choice lives in the URL (tz=utc|local).
const pad = (n) => String(n).padStart(2, '0');

export function zoneLabel(tz) {
  if (tz === 'utc') return 'UTC';
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  return `local (${zone})`;
}

export function formatTime(seconds, tz) {
  if (seconds === null || seconds === undefined) return '—';
  const d = new Date(seconds * 1000);
  if (tz === 'utc') {
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  }
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} ` +
    `(UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)})`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const d = Math.floor(seconds / 86400), hr = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
  return [d && `${d} d`, hr && `${hr} h`, (m || (!d && !hr)) && `${m} min`].filter(Boolean).join(' ');
}

// Value for <input type="datetime-local"> in the chosen zone, and back.
export function toInput(seconds, tz) {
  const d = new Date(seconds * 1000);
  if (tz === 'utc') return d.toISOString().slice(0, 16);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromInput(value, tz) {
  if (!value) return null;
  const ms = tz === 'utc' ? Date.parse(`${value}:00Z`) : new Date(value).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

// Offset in minutes of an IANA zone at a UTC instant (for drawing a local-time curfew window).
export function zoneOffsetMinutes(zone, seconds) {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    }).formatToParts(new Date(seconds * 1000));
    const get = (t) => Number(parts.find((p) => p.type === t).value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
    return Math.round((asUtc - Math.floor(seconds / 60) * 60000) / 60000);
  } catch {
    return 0;
  }
}
