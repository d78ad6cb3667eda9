-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Vigil store schema, version 1. Applied once, in a transaction, to an empty database; later changes go
-- in new numbered files (0002_...sql), never by editing this one. Times are Unix seconds UTC.

CREATE TABLE entities (
  id            INTEGER PRIMARY KEY,
  type          TEXT NOT NULL,              -- country | region | asn
  code          TEXT NOT NULL,              -- KZ | KZ-ALA | 9198
  name          TEXT NOT NULL DEFAULT '',
  parent_id     INTEGER REFERENCES entities(id),  -- region -> country; NULL when none
  slash24_count INTEGER NOT NULL DEFAULT 0,
  tz            TEXT NOT NULL DEFAULT '',
  UNIQUE (type, code)
);
CREATE INDEX entities_parent ON entities(parent_id);

CREATE TABLE datasources (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,         -- bgp | ping-slash24 | rtt-p50 | loss | imported names
  step_s      INTEGER NOT NULL,             -- native bin width
  description TEXT NOT NULL DEFAULT ''
);

-- One row per (datasource, entity, bin). A missing bin has no row (missing, never zero). The datasource is
-- stored by id so that the hot table stays small; the view series_named shows names.
CREATE TABLE series (
  datasource_id INTEGER NOT NULL REFERENCES datasources(id),
  entity_id     INTEGER NOT NULL REFERENCES entities(id),
  t             INTEGER NOT NULL,           -- bin start
  value         REAL NOT NULL,
  PRIMARY KEY (datasource_id, entity_id, t)
) WITHOUT ROWID;

CREATE VIEW series_named AS
  SELECT d.name AS datasource, e.type AS entity_type, e.code AS entity_code, s.entity_id, s.t, s.value
  FROM series s JOIN datasources d ON d.id = s.datasource_id JOIN entities e ON e.id = s.entity_id;

-- Ingested input files, by content hash: the record that makes ingest idempotent.
CREATE TABLE inputs (
  sha256      TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL,                -- mrt-rib | mrt-updates | probe-log | series-csv | ...
  collector   TEXT NOT NULL DEFAULT '',
  records     INTEGER NOT NULL DEFAULT 0,
  first_t     INTEGER NOT NULL DEFAULT 0,
  last_t      INTEGER NOT NULL DEFAULT 0,
  ingested_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inputs_time ON inputs(first_t, last_t);

-- Opaque state stages keep between runs (e.g. per-peer BGP tables), committed with the input that made it.
CREATE TABLE state (
  key        TEXT PRIMARY KEY,
  bytes      BLOB NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE alerts (
  id         INTEGER PRIMARY KEY,
  datasource TEXT NOT NULL,
  entity_id  INTEGER NOT NULL REFERENCES entities(id),
  t          INTEGER NOT NULL,
  level      TEXT NOT NULL,                 -- normal | warning | critical
  condition  TEXT NOT NULL DEFAULT '',
  value      REAL NOT NULL,
  baseline   REAL NOT NULL,
  method     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_t ON alerts(t);
CREATE INDEX alerts_entity ON alerts(entity_id, t);

-- AUTOINCREMENT: schedule ids are never reused, so an id a report once showed keeps meaning one schedule.
CREATE TABLE schedules (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_id    INTEGER NOT NULL REFERENCES entities(id),
  tz           TEXT NOT NULL DEFAULT '',
  on_start_min INTEGER NOT NULL,
  on_end_min   INTEGER NOT NULL,
  first_day    TEXT NOT NULL,
  last_day     TEXT NOT NULL,
  confidence   REAL NOT NULL
);
CREATE INDEX schedules_entity ON schedules(entity_id);

CREATE TABLE events (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_id      INTEGER NOT NULL REFERENCES entities(id),
  kind           TEXT NOT NULL,             -- outage | throttling
  start_t        INTEGER NOT NULL,
  end_t          INTEGER NOT NULL DEFAULT 0,  -- exclusive; 0 while ongoing
  score          REAL NOT NULL DEFAULT 0,
  datasources    TEXT NOT NULL DEFAULT '',
  classification TEXT NOT NULL DEFAULT '',
  schedule_id    INTEGER REFERENCES schedules(id) ON DELETE SET NULL,
  depth          REAL NOT NULL DEFAULT 0,
  coverage       TEXT NOT NULL DEFAULT '',  -- JSON
  detail         TEXT NOT NULL DEFAULT ''   -- JSON
);
CREATE INDEX events_start ON events(start_t);
CREATE INDEX events_entity ON events(entity_id, start_t);
CREATE INDEX events_schedule ON events(schedule_id);

CREATE TABLE annotations (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_id  INTEGER NOT NULL REFERENCES entities(id),
  start_t    INTEGER NOT NULL,
  end_t      INTEGER NOT NULL DEFAULT 0,
  kind       TEXT NOT NULL,                 -- state-of-emergency | curfew-order | note
  text       TEXT NOT NULL DEFAULT '',
  source_url TEXT NOT NULL DEFAULT ''
);
CREATE INDEX annotations_time ON annotations(start_t);
