-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Vigil store schema, version 2: the API's webhook registrations, their delivery log and what was last
-- notified per event, so that `vigil serve` keeps them across restarts.

-- AUTOINCREMENT: a deleted webhook's id is never handed to a new one (its deliveries stay in the log).
CREATE TABLE webhooks (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  url        TEXT NOT NULL,
  secret     TEXT NOT NULL,                 -- signs deliveries (HMAC-SHA256), hence kept in clear
  entity     TEXT NOT NULL DEFAULT '',      -- region/KZ-ALA, country/KZ; '' = every entity
  min_level  TEXT NOT NULL DEFAULT 'warning',
  created_at INTEGER NOT NULL
);

-- The id is chosen by the API (it is inside the signed body). No foreign keys: the log outlives webhooks
-- and events replaced by a new detection run.
CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  webhook_id      INTEGER NOT NULL,
  notice          TEXT NOT NULL,            -- event.start | event.update | event.end
  event_id        INTEGER NOT NULL,
  body            TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  state           TEXT NOT NULL,            -- pending | delivered | failed
  last_status     INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  log             TEXT NOT NULL DEFAULT ''  -- one line per attempt
);
CREATE INDEX webhook_deliveries_state ON webhook_deliveries(state);

CREATE TABLE webhook_notified (
  event_id    INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL
);
