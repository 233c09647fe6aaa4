import { defineProject } from "vitest/config";

// Real engines, a real master and child processes: generous limits, no timing assertions.
export default defineProject({
  test: { name: "@dockflow/agent", testTimeout: 120_000, hookTimeout: 120_000 },
});
