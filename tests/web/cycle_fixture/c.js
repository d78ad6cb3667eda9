// SPDX-License-Identifier: AGPL-3.0-or-later
// Fixture for import_cycles.mjs (see a.js).
export { a } from './a.js';
