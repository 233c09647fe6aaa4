import { defineProject } from "vitest/config";

export default defineProject({ test: { name: "@dockflow/protocol", testTimeout: 30_000 } });
