// SPDX-License-Identifier: AGPL-3.0-or-later
// URL state. Every view is described by the query string (view, from, until, tz, entity, id, filters), so any
// screen can be shared as a URL. This module owns reading and writing that state; it knows the views only by
// name and does not render: whoever calls onChange (app.js) is told when the state moved.
export const VIEW_NAMES = ['world', 'country', 'map', 'entity', 'events', 'event', 'reported', 'about'];
const QUERY_KEYS = ['view', 'entity', 'id', 'country', 'kind', 'sort', 'show', 'from', 'until', 'tz'];
let changed = () => {};

// Registers the one function run after every change of state (navigate, follow, the browser's back/forward).
export function onChange(listener) {
  changed = listener;
  window.addEventListener('popstate', () => changed());
}

export function readState() {
  const p = new URLSearchParams(location.search);
  const num = (k) => (p.has(k) && /^-?\d+$/.test(p.get(k)) ? Number(p.get(k)) : null);
  return {
    view: VIEW_NAMES.includes(p.get('view')) ? p.get('view') : 'world',
    from: num('from'), until: num('until'),
    tz: p.get('tz') === 'local' ? 'local' : 'utc',
    entity: p.get('entity') || '', id: p.get('id') || '',
    country: p.get('country') || '', kind: p.get('kind') || '', sort: p.get('sort') || '',
    show: p.get('show') || '',
  };
}

export function href(changes) {
  const state = { ...readState(), ...changes };
  const p = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    if (state[key] !== null && state[key] !== undefined && state[key] !== '') p.set(key, state[key]);
  }
  return `/?${p}`;
}

export function navigate(changes, { replace = false } = {}) {
  const url = href(changes);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  changed();
}

// Fills in state without a new history entry and without telling the listener (the caller is rendering it).
export function complete(changes) {
  history.replaceState(null, '', href(changes));
}

// A same-page link (href "/?..."): a new history entry, then the listener.
export function follow(url) {
  history.pushState(null, '', url);
  changed();
}
