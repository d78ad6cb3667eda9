// SPDX-License-Identifier: AGPL-3.0-or-later
// Where the numbers on screen come from (docs/api.md "Provenance"). api.js hands every answer to note(); a view's
// render starts with reset() and app.js calls showBanner() when it is drawn. Any simulated (or unrecorded) series,
// event, alert or entity among what the view loaded puts a persistent banner above the view; observed data gets a
// quiet line naming the collectors behind it. It knows nothing of the views themselves.
import { h } from './dom.js';

let kinds = new Set();
let scenarios = new Map();  // name -> notice, from the envelopes' metadata.provenance.sources
let collectors = new Set();
let importedSources = new Set();

export function reset() {
  document.documentElement.dataset.provenanceShown = 'no';
  kinds = new Set();
  scenarios = new Map();
  collectors = new Set();
  importedSources = new Set();
}

// The kinds a provenance object ({kind, kinds}) names.
export function kindsOf(provenance) {
  return provenance && Array.isArray(provenance.kinds) ? provenance.kinds : [];
}
export const isSimulated = (provenance) => kindsOf(provenance).includes('simulated');

// The word a chart title or legend carries: "simulated", "mixed: observed + simulated", "" for observed data.
export function chartLabel(provenance) {
  const list = kindsOf(provenance);
  if (list.length > 1) return `mixed: ${list.join(' + ')}`;
  if (list.length === 1 && list[0] !== 'observed') return list[0];
  return '';
}

function scan(value, depth) {
  if (!value || typeof value !== 'object' || depth > 6) return;
  if (Array.isArray(value)) {
    for (const item of value) scan(item, depth + 1);
    return;
  }
  // An entity's provenance is that of its name and sizes: a simulated one needs the banner, an observed one does
  // not make the view's numbers observed.
  const entity = 'attrs' in value && 'code' in value && 'type' in value;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'provenance' && item && Array.isArray(item.kinds)) {
      for (const kind of item.kinds) if (!entity || kind === 'simulated' || kind === 'unrecorded') kinds.add(kind);
    } else if (item && typeof item === 'object') {
      scan(item, depth + 1);
    }
  }
}

// One API answer (the whole envelope): the kinds of its data, and the origins its period holds.
export function note(body) {
  if (!body || typeof body !== 'object') return;
  scan(body.data, 0);
  const sources = body.metadata && body.metadata.provenance && body.metadata.provenance.sources;
  for (const s of Array.isArray(sources) ? sources : []) {
    if (s.kind === 'simulated' && s.scenario) scenarios.set(s.scenario, s.notice);
    if (s.kind === 'observed' && s.collector) collectors.add(s.collector);
    if (s.kind === 'imported' && s.source) importedSources.add(s.source);
  }
}

export function simulatedNotice(scenario) {
  return `Simulated scenario '${scenario}' \u2014 built from public reporting, not a measurement`;
}

// Draws (or removes) the banner and the observed-sources line for what the view loaded.
export function showBanner() {
  const banner = document.getElementById('provenance-banner');
  const line = document.getElementById('provenance-sources');
  if (!banner || !line) return;
  const simulated = kinds.has('simulated'), unrecorded = kinds.has('unrecorded');
  if (simulated || unrecorded) {
    const texts = [];
    if (simulated) {
      if (scenarios.size) for (const name of scenarios.keys()) texts.push(simulatedNotice(name));
      else texts.push('Simulated data \u2014 built from public reporting, not a measurement');
    }
    if (unrecorded) texts.push('Some data here was stored before Vigil recorded provenance: it may be simulated');
    banner.replaceChildren(h('strong', {}, 'SIMULATED DATA. '), texts.join('. '), '.',
      kinds.has('observed') ? ' Observed data on this page is labelled as such.' : '');
    banner.hidden = false;
  } else {
    banner.replaceChildren();
    banner.hidden = true;
  }
  const parts = [];
  if (kinds.has('observed') && collectors.size) {
    parts.push(`Observed data from ${[...collectors].sort().join(', ')}`);
  } else if (kinds.has('observed')) {
    parts.push('Observed data');
  }
  if (kinds.has('imported')) parts.push(`Imported from ${[...importedSources].join(', ') || 'another source'}`);
  line.textContent = parts.length ? `${parts.join('; ')}.` : '';
  line.hidden = !parts.length;
  document.documentElement.dataset.provenanceShown = 'yes';  // the view is drawn and labelled (browser tests wait)
}
