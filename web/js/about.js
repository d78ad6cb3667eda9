// SPDX-License-Identifier: AGPL-3.0-or-later
import { h } from './dom.js';

export async function renderAbout(main) {
  const li = (...c) => h('li', {}, ...c);
  const a = (url, text) => h('a', { href: url, rel: 'noopener noreferrer' }, text || url);
  main.replaceChildren(
    h('h1', {}, 'About Vigil'),
    h('p', {},
      'Vigil measures Internet connectivity per country, region and network from the outside, detects shutdowns, ',
      'infers their pattern (one-off or a daily curfew), and publishes signals, events and evidence reports. ',
      'Its API answers the same calls as IODA\'s API v2, so existing scripts work against a self-hosted Vigil.'),
    h('h2', {}, 'Data sources'),
    h('ul', {},
      li(h('strong', {}, 'BGP (bgp): '),
        'number of IPv4 /24 blocks routed, from public route collector archives (RIPE RIS, ',
        'RouteViews) in MRT format; a prefix counts when more than half of the full-feed peers carry it; ' +
        '5-minute bins.'),
      li(h('strong', {}, 'BGP IPv6 (bgp-v6): '),
        'number of IPv6 /48 blocks routed, from the same archives and rule among ',
        'full-feed IPv6 peers (more than 100,000 IPv6 prefixes by default); 5-minute bins.'),
      li(h('strong', {}, 'Active probing (ping-slash24, rtt-p50, loss): '),
        'Trinocular-style probing of ever-responsive ',
        'addresses in each /24: blocks believed up, median round-trip time and loss; 10-minute rounds.'),
      li(h('strong', {}, 'Annotations: '),
        'states of emergency and orders, entered by the operator with a source link.'),
      li('A bin without input is missing, never zero: charts show gaps, the map shows "no data".')),
    h('h2', {}, 'Method'),
    h('p', {},
      'Each signal is compared with a baseline (median of the previous 24 hours for BGP; same-time-of-day median ',
      'of the previous 7 days for probing). The ratio sets the level: normal, warning, critical. ' +
      'Runs of non-normal bins ',
      'form events, which are classified (routing, data-plane, routing+data-plane, throttling); three or more events ',
      'on consecutive days at similar local times form a curfew schedule. Every event has an evidence report with the ',
      'signals, alerts, thresholds, coverage and the sha256 of the input files.'),
    h('h2', {}, 'Map colours'),
    h('p', {}, 'Levels use a colour-blind-safe palette that also differs in lightness (light blue = normal, light ',
      'orange = warning, dark red = critical, hatched grey = no data) and are always written out as text too. ',
      'A region takes the worst level seen in the selected time range.'),
    h('h2', {}, 'Licenses'),
    h('ul', {},
      li('Kazakhstan region boundaries (2018): OCHA HDX COD-AB "cod-ab-kaz" (via arodionoff/geokz), ',
        h('strong', {}, 'CC BY 4.0'), ', simplified for this map. ', a('https://data.humdata.org/dataset/cod-ab-kaz')),
      li('Country outlines: world-atlas 2.0.2 (Natural Earth, public domain; package ISC).'),
      li('uPlot 1.6.32 (MIT), d3-geo 3.1.1 and d3-array 3.2.4 (ISC), topojson-client 3.1.0 (ISC).'),
      li('BGP data: RIPE NCC RIS and University of Oregon RouteViews archives ' +
        '(public; attribution as their terms ask).')),
    h('h2', {}, 'API'),
    h('p', {}, 'OpenAPI description: ', a('/openapi.json', '/openapi.json'),
      '; Prometheus metrics: ', a('/metrics', '/metrics'),
      '; Atom feed of events: ', a('/api/v1/feed.atom', '/api/v1/feed.atom'), '.'),
  );
}
