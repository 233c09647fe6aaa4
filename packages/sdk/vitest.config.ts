import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@dockflow/sdk",
    // The examples' tests drive a real Docker engine; no assertion depends on these.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
