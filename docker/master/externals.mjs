// Copies into <out>/node_modules only the packages a bundle still imports (its externals, e.g.
// PGlite with its wasm and data files) and their dependencies, resolved from the app's folder as
// Node would (pnpm's symlinks dereferenced). Fails loudly when the bundle imports a package that
// is not installed there.
// Usage: node externals.mjs <dist folder> <app folder> <out folder>

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";

const [dist, app, out] = process.argv.slice(2);
if (!dist || !app || !out) {
  console.error("usage: node externals.mjs <dist> <app> <out>");
  process.exit(2);
}
const builtins = new Set(builtinModules);
// ES imports left external must be provided; `require("x")` inside bundled CommonJS is often an
// optional dependency loaded in a try/catch (pg-native, ssh2's bindings): copied when present.
const SPEC = String.raw`(@?[a-z0-9][\w.-]*(?:\/[\w.-]+)*)`;
// esbuild writes external imports at the start of a line, with double quotes (comments keep theirs).
const IMPORT = new RegExp(
  `^(?:import|export)\\s[^;]*?\\bfrom\\s*"${SPEC}"|^import\\s*"${SPEC}"|\\bimport\\(\\s*"${SPEC}"\\s*\\)`,
  "gm",
);
const REQUIRE = new RegExp(`\\brequire\\(\\s*"${SPEC}"\\s*\\)`, "g");

function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const wanted = new Set();
const optional = new Set();
for (const file of readdirSync(dist, { recursive: true })) {
  if (!/\.(mjs|cjs|js)$/.test(file)) continue;
  const code = readFileSync(join(dist, file), "utf8");
  for (const [pattern, into] of [
    [IMPORT, wanted],
    [REQUIRE, optional],
  ]) {
    for (const match of code.matchAll(pattern)) {
      const name = packageName(match.slice(1).find(Boolean));
      if (!name.startsWith("node:") && !builtins.has(name)) into.add(name);
    }
  }
}

// A package's real folder, resolved from `from` as Node would (walking up node_modules).
function locate(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

// Hoisted to <out>/node_modules when the name is free (reachable from every package, as npm
// lays them out); nested under the dependent when another version already holds the name.
const top = new Map();
const placed = new Set();
function copy(name, from, parent, optionalHere = false) {
  const source = locate(name, from);
  if (!source) {
    if (parent || optionalHere) return; // optional and not installed
    console.error(`externals: the bundle imports "${name}", which is not installed for the app`);
    process.exit(1);
  }
  let target;
  if (!top.has(name)) {
    top.set(name, source);
    target = join(out, "node_modules", name);
  } else if (top.get(name) === source) {
    return;
  } else {
    target = join(parent ?? out, "node_modules", name);
  }
  if (placed.has(target)) return;
  placed.add(target);
  const manifest = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true, dereference: true });
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    copy(dep, source, target);
  }
}

for (const name of [...wanted].sort()) copy(name, resolve(app), undefined);
for (const name of [...optional].sort()) {
  if (!wanted.has(name)) copy(name, resolve(app), undefined, true);
}
console.log(`externals: ${[...top.keys()].sort().join(", ") || "none"}`);
