// SPDX-License-Identifier: AGPL-3.0-or-later
// Fixture for import_cycles.mjs (see a.js). The import in this comment is not counted: import { c } from './c.js';
import {
  a,
} from './a.js';
export const b = () => a;
