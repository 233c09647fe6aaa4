import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@dockflow/master",
    // PGlite boots a WebAssembly PostgreSQL per master; on a busy 2-core machine that takes seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
