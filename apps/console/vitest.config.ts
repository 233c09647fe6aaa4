import { defineProject } from "vitest/config";

// Unit tests of the console's pure helpers (src/**/*.test.ts) and its browser end-to-end tests
// (test/**/*.test.ts: Debian's Chromium against a real master, flow manager and agent; the
// global setup builds the console once). Generous limits: no assertion depends on them.
export default defineProject({
  // The SDK is consumed as TypeScript source (its package exports name it under this condition).
  resolve: { conditions: ["@dockflow/source"] },
  ssr: { resolve: { conditions: ["@dockflow/source"] } },
  test: {
    name: "@dockflow/console",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
