import { int, list, logLevel, parseEnv, port } from "@dockflow/config";
import { z } from "zod";
import { DEFAULT_ACCOUNT_ID, DEFAULT_TOKEN } from "./sandbox.ts";

const ZONE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Environment of the standalone server (`src/server.ts`). */
export const SandboxEnvSchema = z.object({
  CF_SANDBOX_PORT: port().default(8787),
  CF_SANDBOX_HOST: z.string().min(1).default("127.0.0.1"),
  CF_SANDBOX_ZONES: list()
    .transform((zones) => (zones.length > 0 ? zones : ["example.com"]).map((z) => z.toLowerCase()))
    .pipe(z.array(z.string().regex(ZONE, "must be a domain name like example.com"))),
  CF_SANDBOX_ACCOUNT_ID: z
    .string()
    .regex(/^[0-9a-f]{32}$/i, "must be 32 hexadecimal digits")
    .default(DEFAULT_ACCOUNT_ID),
  CF_SANDBOX_TOKEN: z
    .string()
    .regex(/^[^\s]+$/, "must not contain whitespace")
    .default(DEFAULT_TOKEN),
  /** Requests per token and window; 0 disables rate limiting. */
  CF_SANDBOX_RATE_LIMIT: int(0).default(1200),
  CF_SANDBOX_RATE_LIMIT_WINDOW_SECONDS: int(1).default(300),
  LOG_LEVEL: logLevel(),
});
export type SandboxServerConfig = z.infer<typeof SandboxEnvSchema>;

/** Parses the environment once; a bad value throws a ConfigError with every problem listed. */
export function parseSandboxEnv(env: Record<string, string | undefined>): SandboxServerConfig {
  return parseEnv("cloudflare-sandbox", SandboxEnvSchema, env);
}
