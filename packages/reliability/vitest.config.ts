import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@dockflow/reliability",
    include: ["flow/**/*.test.ts", "master/**/*.test.ts"],
    // Real engines, throwaway dockerd/PostgreSQL instances and child processes: generous limits,
    // no assertion depends on them.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
