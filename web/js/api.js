// SPDX-License-Identifier: AGPL-3.0-or-later
// Thin wrappers over Vigil's HTTP API (IODA v2 paths + /api/v1). Every answer's provenance goes to
// provenance.js, which labels the view that asked.
import { note } from './provenance.js';

async function getJson(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') query.set(k, v);
  const url = query.toString() ? `${path}?${query}` : path;
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok || body.error) throw new Error(body.error || `${response.status} ${url}`);
  note(body);
  return body;
}

export const api = {
  health: () => getJson('/healthz'),
  entities: (params) => getJson('/v2/entities/query', params).then((b) => b.data),
  signals: (type, code, from, until, maxPoints = 3000) =>
    getJson(`/v2/signals/raw/${encodeURIComponent(type)}/${encodeURIComponent(code)}`, { from, until, maxPoints })
      .then((b) => b.data),
  events: (params) =>
    getJson('/v2/outages/events', { ignoreMethods: '*.sarima', limit: 2000, ...params }).then((b) => b.data),
  summary: (params) =>
    getJson('/v2/outages/summary', { ignoreMethods: '*.sarima', limit: 500, ...params }).then((b) => b.data),
  status: (params) => getJson('/api/v1/status', params).then((b) => b.data),
  event: (id) => getJson(`/api/v1/events/${encodeURIComponent(id)}`).then((b) => b.data),
  annotations: (params) => getJson('/api/v1/annotations', params).then((b) => b.data),
  schedules: (params) => getJson('/api/v1/schedules', params).then((b) => b.data),
  // What the whole store holds (metadata.provenance of an answer without a period).
  holdings: () => getJson('/v2/datasources').then((b) => b.metadata.provenance),
  measuredVsReported: (params) => getJson('/api/v1/measured-vs-reported', params).then((b) => b.data),
};
