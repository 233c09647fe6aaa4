import { defineProject } from "vitest/config";

// Talks to the real Docker engine and PostgreSQL: generous limits, no assertion depends on them.
export default defineProject({
  test: { name: "@dockflow/testkit", testTimeout: 60_000, hookTimeout: 60_000 },
});
