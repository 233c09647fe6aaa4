import { defineProject } from "vitest/config";

// Pure functions only: the defaults are plenty.
export default defineProject({ test: { name: "@dockflow/webhook-core" } });
