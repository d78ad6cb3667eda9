// SPDX-License-Identifier: AGPL-3.0-or-later
// Entity search in the header: one box for countries, regions and networks by name or code ("Almaty", "KZ-ALA",
// "AS9198", "9198"), as an ARIA combobox: arrows move through the suggestions, Enter opens one, Escape closes.
import { api } from './api.js';
import { h } from './dom.js';
import { navigate } from './router.js';

const LIMIT = 12;
const KIND = { country: 'country', region: 'region', asn: 'network' };

function destination(e) {
  return e.type === 'country' ? { view: 'country', country: e.code, entity: '', id: '' }
    : { view: 'entity', entity: `${e.type}/${e.code}`, id: '' };
}

function describe(e) {
  const where = e.attrs && e.attrs.country_code && e.type !== 'country' ? `, ${e.attrs.country_code}` : '';
  const code = e.type === 'asn' ? `AS${e.code}` : e.code;
  return `${KIND[e.type] || e.type} ${code}${where}`;
}

export function setupSearch() {
  const form = document.getElementById('search');
  if (!form) return;
  const input = form.querySelector('input');
  const list = document.getElementById('search-results');
  let results = [], active = -1, timer = null, generation = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const open = (entity) => {
    close();
    input.value = '';
    navigate(destination(entity));
    document.getElementById('main').focus({ preventScroll: true });
  };
  const highlight = (index) => {
    active = index;
    list.querySelectorAll('[role="option"]')
      .forEach((el, i) => el.setAttribute('aria-selected', i === index ? 'true' : 'false'));
    if (index >= 0) input.setAttribute('aria-activedescendant', `search-option-${index}`);
    else input.removeAttribute('aria-activedescendant');
  };
  const show = () => {
    list.replaceChildren(...(results.length ? results.map((e, i) => h('li', {
      id: `search-option-${i}`, role: 'option', 'aria-selected': 'false', 'data-type': e.type, 'data-code': e.code,
      onmousedown: (ev) => { ev.preventDefault(); open(e); },
    }, h('span', { class: 'search-name' }, e.name || e.code), ' ', h('span', { class: 'muted' }, describe(e))))
      : [h('li',
        { class: 'muted', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', id: 'search-none' },
        'No country, region or network matches.')]));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(results.length ? 0 : -1);
  };
  const lookup = async () => {
    let term = input.value.trim();
    if (term.length < 2) { results = []; close(); return; }
    term = term.replace(/^as\s*(\d+)$/i, '$1');  // "AS9198" names the network whose code is 9198
    const mine = ++generation;
    try {
      const found = await api.entities({ search: term, limit: LIMIT });
      if (mine !== generation) return;  // a newer keystroke already asked
      results = found.filter((e) => KIND[e.type]);
      show();
    } catch {
      results = [];
      close();
    }
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(lookup, 120); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (list.hidden) { lookup(); return; }
      if (!results.length) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      highlight((active + step + results.length) % results.length);
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();  // first Escape closes the list and keeps the text; a second one clears the box
      close();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    if (list.hidden || !results.length) await lookup();
    if (results.length) open(results[Math.max(0, active)]);
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
}
