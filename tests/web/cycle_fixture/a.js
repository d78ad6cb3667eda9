// SPDX-License-Identifier: AGPL-3.0-or-later
// Fixture for import_cycles.mjs: a.js and b.js import each other, c.js only imports a.js.
import { b } from './b.js';
export const a = () => b;
