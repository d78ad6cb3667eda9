-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Vigil store schema, version 3: annotations carry a JSON detail object. Imported reported shutdowns
-- (kind `reported-shutdown`, Access Now #KeepItOn) keep there what the source says: shutdown type, networks,
-- cause, telcos, source links, the place as written, the mapped codes, and the row's import key.
ALTER TABLE annotations ADD COLUMN detail TEXT NOT NULL DEFAULT '';
