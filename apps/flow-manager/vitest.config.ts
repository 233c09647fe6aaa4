import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@dockflow/flow-manager",
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // Real Docker: containers start, crash and get OOM-killed. No assertion depends on these.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
