import { defineConfig } from "vitest/config";

// One vitest run covers the whole workspace: each package or app with tests is a project.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Tests that drive a real Docker engine and PostgreSQL need time; no timing assertions rely on it.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
