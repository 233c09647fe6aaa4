import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@dockflow/flow-manager",
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
  },
});
