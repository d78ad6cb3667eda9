// SPDX-License-Identifier: AGPL-3.0-or-later
// The page: the header's controls, and which view renders the state router.js reads from the URL.
import { api } from './api.js';
import { h } from './dom.js';
import { fromInput, resolveZone, toInput, zoneLabel } from './time.js';
import { renderMap } from './map.js';
import { renderWorld } from './world.js';
import { renderCountry } from './country.js';
import { renderEntity } from './entity.js';
import { renderEvents } from './events.js';
import { renderEvent } from './event.js';
import { renderAbout } from './about.js';
import { renderReported } from './reported.js';
import { setupSearch } from './search.js';
import { VIEW_NAMES, complete, follow, href, navigate, onChange, readState } from './router.js';
import { reset as resetProvenance, showBanner } from './provenance.js';

const views = {
  world: renderWorld, country: renderCountry, map: renderMap, entity: renderEntity, events: renderEvents,
  event: renderEvent, reported: renderReported, about: renderAbout,
};
// router.js accepts exactly the view names it lists: one renderer here for each, and none it would never reach.
if (Object.keys(views).sort().join() !== [...VIEW_NAMES].sort().join()) {
  throw new Error(`views rendered (${Object.keys(views)}) differ from router.js VIEW_NAMES (${VIEW_NAMES})`);
}
const KZ2022 = { from: 1641254400, until: 1642032000 };  // 2022-01-04 .. 2022-01-13 UTC
let dataSpan = null;
let shownZone = 'UTC';  // the zone the header inputs are in (see resolveZone)

async function defaultRange() {
  if (!dataSpan) {
    try {
      const health = await api.health();
      dataSpan = health.data_until ? { from: health.data_from, until: health.data_until } : null;
    } catch {
      dataSpan = null;
    }
  }
  const until = dataSpan ? dataSpan.until : Math.floor(Date.now() / 1000);
  return { from: until - 7 * 86400, until };
}

function syncHeader(state) {
  const form = document.getElementById('range');
  form.from.value = toInput(state.from, state.zone);
  form.until.value = toInput(state.until, state.zone);
  form.preset.value = '';
  const toggle = document.getElementById('tz-toggle');
  toggle.textContent = `Times: ${zoneLabel(state.zone)}`;
  toggle.setAttribute('aria-pressed', state.tz === 'local' ? 'true' : 'false');
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    a.href = href({ view: a.dataset.view, entity: '', id: '', show: '' });
  }
}

async function render() {
  let state = readState();
  if (state.from === null || state.until === null || state.from >= state.until) {
    const range = await defaultRange();
    complete(range);
    state = readState();
  }
  state.zone = await resolveZone(state);
  shownZone = state.zone;
  syncHeader(state);
  const main = document.getElementById('main');
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  resetProvenance();
  try {
    await views[state.view](main, state);
  } catch (error) {
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not load this view: ${error.message}`));
  }
  showBanner();
}

function setup() {
  const form = document.getElementById('range');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const from = fromInput(form.from.value, shownZone), until = fromInput(form.until.value, shownZone);
    if (from !== null && until !== null && from < until) navigate({ from, until });
  });
  form.preset.addEventListener('change', async () => {
    const value = form.preset.value;
    if (!value) return;
    if (value === 'kz2022') return navigate(KZ2022);
    const { until } = await defaultRange();
    navigate({ from: until - Number(value) * 86400, until });
  });
  document.getElementById('tz-toggle').addEventListener('click', () => {
    navigate({ tz: readState().tz === 'utc' ? 'local' : 'utc' }, { replace: true });
  });
  // Same-page links change the state without reloading.
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="/?"]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    follow(a.getAttribute('href'));
    document.getElementById('main').focus({ preventScroll: true });
  });
  onChange(render);
  setupSearch();
  render();
}

setup();
