import { pino } from "pino";
import { parseSandboxEnv, type SandboxServerConfig } from "./config.ts";
import { createCloudflareSandbox } from "./sandbox.ts";

// Standalone sandbox for `pnpm dev`: `tsx src/server.ts`. Configuration: see docs/cloudflare-sandbox.md.
let config: SandboxServerConfig;
try {
  config = parseSandboxEnv(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
const log = pino({ name: "cloudflare-sandbox", level: config.LOG_LEVEL });

const sandbox = createCloudflareSandbox({
  accountId: config.CF_SANDBOX_ACCOUNT_ID,
  tokens: [config.CF_SANDBOX_TOKEN],
  zones: config.CF_SANDBOX_ZONES,
  rateLimit:
    config.CF_SANDBOX_RATE_LIMIT === 0
      ? false
      : {
          limit: config.CF_SANDBOX_RATE_LIMIT,
          windowMs: config.CF_SANDBOX_RATE_LIMIT_WINDOW_SECONDS * 1000,
        },
  onRequest: ({ method, path, status }) => log.debug({ method, path, status }, "request"),
});

const server = await sandbox.listen({ port: config.CF_SANDBOX_PORT, host: config.CF_SANDBOX_HOST });

// The token is a sandbox-only credential that exists to be copied into the master's configuration.
log.info(
  {
    base_url: server.url,
    account_id: sandbox.accountId,
    api_token: config.CF_SANDBOX_TOKEN,
    zones: [...sandbox.state.zones.values()].map((zone) => ({ name: zone.name, id: zone.id })),
  },
  "cloudflare sandbox listening: set CLOUDFLARE_BASE_URL=base_url and use api_token / account_id",
);

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "close failed");
        process.exit(1);
      },
    );
  });
}
