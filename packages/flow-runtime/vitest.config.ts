import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@dockflow/flow-runtime",
    // Some tests run flow:latest on the real engine; no assertion depends on these limits.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    server: { deps: { external: [/native-import\.mjs$/] } },
  },
});
