import { defineProject } from "vitest/config";

export default defineProject({ test: { name: "@dockflow/metrics", testTimeout: 30_000 } });
