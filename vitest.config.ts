import { defineConfig } from "vitest/config";

// One vitest run covers the whole workspace: each package or app with tests is a project, with
// its own vitest.config.ts (name, and the time limits its real engines need: projects do not
// inherit test options from this file).
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
  },
});
