import { createAgent } from "./agent.ts";
import { parseConfig } from "./config.ts";
import { createLogger } from "./logger.ts";

// Composition root: configuration parsed once, the agent built from it, SIGTERM/SIGINT handled.
let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const logger = createLogger(config.LOG_LEVEL);
try {
  const agent = await createAgent(config, { logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    agent.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ err: error.message }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
} catch (error) {
  logger.fatal({ err: (error as Error).message }, "agent failed to start");
  process.exit(1);
}
