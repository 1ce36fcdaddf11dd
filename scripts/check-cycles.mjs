#!/usr/bin/env node
// Fails (exit 1) when the modules of a package's src/ import each other in a cycle, naming each
// cycle. Type-only imports count: `import type` cycles couple modules as tightly as value ones,
// and eslint-plugin-import-x's no-cycle skips them. Run by `npm run lint`.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every .ts file under `dir`, recursively. */
function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|tsx)$/.test(name)) out.push(path);
  }
  return out;
}

// `import ... from "./x.js"`, `import type ...`, `export ... from "./x.js"`, `import "./x.js"`,
// and `import("./x.js")` (also in type positions).
const SPECIFIER = /(?:\b(?:import|export)\b[^;"'`]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;

/** The source file a relative specifier names, if it is one of ours. */
function resolveSpecifier(from, spec) {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|mjs|ts|mts)$/, "");
  for (const candidate of [`${stem}.ts`, `${stem}.mts`, `${stem}.tsx`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function withoutComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Cycles of the import graph (one per strongly connected component, as a path). */
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const members = new Set(component);
    if (component.length > 1 || (graph.get(v) ?? new Set()).has(v)) found.push(pathThrough(graph, members));
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** A concrete cycle inside a strongly connected component, starting at its first file. */
function pathThrough(graph, members) {
  const start = [...members].sort()[0];
  // Breadth-first from start back to start, inside the component: the shortest cycle through it.
  const prev = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)) path.splice(1, 0, u);
        path.push(start);
        return path;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const packagesDir = join(root, "packages");
let failed = false;
for (const pkg of readdirSync(packagesDir).sort()) {
  const src = join(packagesDir, pkg, "src");
  if (!existsSync(src)) continue;
  const graph = new Map();
  for (const file of sources(src)) {
    const edges = new Set();
    const text = withoutComments(readFileSync(file, "utf8"));
    for (const match of text.matchAll(SPECIFIER)) {
      const target = resolveSpecifier(file, match[1]);
      if (target !== undefined && target.startsWith(src)) edges.add(target);
    }
    graph.set(file, edges);
  }
  for (const cycle of cycles(graph)) {
    failed = true;
    const names = cycle.map((f) => relative(src, f));
    console.error(`import cycle in packages/${pkg}/src (type-only imports count): ${names.join(" -> ")}`);
  }
}
if (failed) {
  console.error("check-cycles: break each cycle (move the shared types to a module both can import, or pass a narrow interface)");
  process.exit(1);
}
console.log("check-cycles: no import cycles in packages/*/src");
