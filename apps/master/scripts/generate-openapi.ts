// Writes the OpenAPI 3.1 document the routes declare to generated/openapi.json (no database needed:
// the document is built from the route declarations alone).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { createGuards } from "../src/auth/guards.ts";
import { RateLimiter } from "../src/auth/rate-limiter.ts";
import { createApp } from "../src/http/app.ts";
import type { ApiDeps } from "../src/http/deps.ts";

const unused = new RateLimiter(1, 1, Date.now);
const deps = {
  guards: createGuards({
    db: undefined as never,
    keyCache: undefined as never,
    adminToken: "unused-admin-token",
    authFailures: unused,
    registrations: unused,
    trustProxy: false,
    sessions: undefined as never,
  }),
  console: { flow_manager_url: null },
  longPollMaxSeconds: 60,
} as ApiDeps;
const app = createApp({
  deps,
  logger: pino({ level: "silent" }),
  bodyLimitBytes: 1024,
  consoleDir: undefined,
});
const response = await app.request("/api/v2/openapi.json");
if (response.status !== 200) throw new Error(`openapi.json: ${response.status}`);
const document = await response.json();
const target = resolve(dirname(fileURLToPath(import.meta.url)), "../generated/openapi.json");
await mkdir(dirname(target), { recursive: true });
await writeFile(target, `${JSON.stringify(document, null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
