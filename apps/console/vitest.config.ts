import { defineProject } from "vitest/config";

// Unit tests of the console's pure helpers (src/**/*.test.ts) and its browser end-to-end tests
// (test/**/*.test.ts: Debian's Chromium against a real master, flow manager and agent; the
// global setup builds the console once). Generous limits: no assertion depends on them.
export default defineProject({
  resolve: { conditions: ["@dockflow/source"] },
  test: {
    name: "@dockflow/console",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
