import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@dockflow/reliability",
    include: ["flow/**/*.test.ts", "master/**/*.test.ts"],
  },
});
