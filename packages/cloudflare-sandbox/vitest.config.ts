import { defineProject } from "vitest/config";

// One test spawns the standalone server as a child process; on a busy machine that takes seconds.
export default defineProject({
  test: { name: "@dockflow/cloudflare-sandbox", testTimeout: 30_000, hookTimeout: 30_000 },
});
