// Bundles the master and its CLI into dist/. PGlite stays external: it loads its WebAssembly and
// data files relative to its own module, so it is resolved from node_modules at run time.
import { build } from "esbuild";

await build({
  entryPoints: { main: "src/main.ts", cli: "src/cli.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  sourcemap: true,
  external: ["@electric-sql/pglite", "pg-native"],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: "info",
});
