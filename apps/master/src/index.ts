import type pino from "pino";
import { parseConfig } from "./config.ts";
import { runMaster } from "./main.ts";

export { type Config, ConfigSchema, parseConfig } from "./config.ts";
export { createMaster, type Master, type MasterOverrides, runMaster } from "./main.ts";

/**
 * Starts a master from environment-style variables (the same schema as `main.ts`; PORT 0 picks a
 * free port): migrations, background loops, HTTP. `close()` stops all of it.
 */
export async function startMaster(
  env: Record<string, string | undefined>,
  overrides: { clock?: () => Date; cloudflareFetch?: typeof fetch; logger?: pino.Logger } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const running = await runMaster(parseConfig(env), overrides);
  return { url: running.url, close: running.close };
}
