import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "@dockflow/flow-runtime", server: { deps: { external: [/native-import\.mjs$/] } } },
});
