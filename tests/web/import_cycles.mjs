// SPDX-License-Identifier: AGPL-3.0-or-later
// Fails when the dashboard's modules import each other in a circle (issue 16 item 8). Reads every .js file in the
// given folder, takes its static imports and re-exports of relative modules (`import ... from './x.js'`,
// `export ... from './x.js'`, `import './x.js'`) and dynamic `import('./x.js')`, and prints each cycle found.
// Only Node's standard library. usage: node import_cycles.mjs WEB_JS_DIR
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir || !fs.existsSync(dir)) {
  console.error(`usage: node import_cycles.mjs WEB_JS_DIR (got '${dir ?? ''}')`);
  process.exit(2);
}

// Comments are removed first so that an example import inside one is not counted.
function relativeImports(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specifiers = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,  // import { a } from './x.js'; export * from ...
    /\bimport\s*['"]([^'"]+)['"]/g,                               // import './x.js' (side effects only)
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,                     // import('./x.js')
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) specifiers.push(match[1]);
  }
  return specifiers.filter((s) => s.startsWith('./') || s.startsWith('../'));
}

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
const graph = new Map();
for (const file of files) {
  const from = path.join(dir, file);
  const targets = relativeImports(fs.readFileSync(from, 'utf8')).map((s) => path.relative(dir, path.resolve(dir, s)));
  graph.set(file, [...new Set(targets)].sort());
}

// Depth-first search; a back edge (to a module still on the stack) closes a cycle.
const cycles = [];
const done = new Set();
const stack = [];
function visit(file) {
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    const at = stack.indexOf(next);
    if (at >= 0) cycles.push([...stack.slice(at), next]);
    else if (!done.has(next) && graph.has(next)) visit(next);
  }
  stack.pop();
  done.add(file);
}
for (const file of files) if (!done.has(file)) visit(file);

const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
if (cycles.length > 0) {
  for (const cycle of cycles) console.log(`FAIL import cycle: ${cycle.join(' -> ')}`);
  console.log(`${cycles.length} import cycle(s) among ${files.length} modules in ${dir}`);
  process.exit(1);
}
console.log(`ok   no import cycle among ${files.length} modules (${edges} relative imports) in ${dir}`);
