-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Vigil store schema, version 4: provenance (docs/store.md "Provenance"). Every input says whether it is
-- observed, imported or simulated and what it comes from; every series point, entity, alert and event carries
-- the kind of what wrote it. Kinds are stored as small integers: 0 observed, 1 simulated, 2 imported,
-- 3 unrecorded. Rows written before this version get 3 (unrecorded): nothing recorded then whether they were
-- measured or simulated, and the store does not guess. Alerts and events keep a set of kinds (bit 1 << kind).

ALTER TABLE inputs ADD COLUMN provenance TEXT NOT NULL DEFAULT 'unrecorded';  -- observed | imported | simulated
ALTER TABLE inputs ADD COLUMN provenance_source TEXT NOT NULL DEFAULT '';     -- collector | source | scenario
ALTER TABLE inputs ADD COLUMN licence TEXT NOT NULL DEFAULT '';               -- imported
ALTER TABLE inputs ADD COLUMN seed TEXT NOT NULL DEFAULT '';                  -- simulated
ALTER TABLE inputs ADD COLUMN vigil_version TEXT NOT NULL DEFAULT '';         -- simulated
-- An observed point costs one byte more (SQLite stores the integers 0 and 1 in the record header alone).
ALTER TABLE series ADD COLUMN provenance INTEGER NOT NULL DEFAULT 3;
ALTER TABLE entities ADD COLUMN provenance INTEGER NOT NULL DEFAULT 3;
ALTER TABLE alerts ADD COLUMN provenance INTEGER NOT NULL DEFAULT 8;  -- {unrecorded}
ALTER TABLE events ADD COLUMN provenance INTEGER NOT NULL DEFAULT 8;

-- What simulated writers say about an entity, kept apart so that a simulation never renames, resizes or moves
-- an observed entity (country/KZ keeps its real name and /24 count when a scenario about it is ingested).
CREATE TABLE simulated_entities (
  entity_id     INTEGER PRIMARY KEY REFERENCES entities(id),
  name          TEXT NOT NULL DEFAULT '',
  parent_id     INTEGER REFERENCES entities(id),
  slash24_count INTEGER NOT NULL DEFAULT 0,
  tz            TEXT NOT NULL DEFAULT ''
);

DROP VIEW series_named;
CREATE VIEW series_named AS
  SELECT d.name AS datasource, e.type AS entity_type, e.code AS entity_code, s.entity_id, s.t, s.value,
         CASE s.provenance WHEN 0 THEN 'observed' WHEN 1 THEN 'simulated' WHEN 2 THEN 'imported' ELSE 'unrecorded'
         END AS provenance
  FROM series s JOIN datasources d ON d.id = s.datasource_id JOIN entities e ON e.id = s.entity_id;
