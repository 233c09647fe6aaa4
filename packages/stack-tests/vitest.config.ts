import { defineProject } from "vitest/config";

// The whole stack on a real engine, and `pnpm dev` as a child: images start, a database initialises
// and services wait for each other. Generous limits; no assertion depends on them.
export default defineProject({
  test: {
    name: "@dockflow/stack-tests",
    include: ["test/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
