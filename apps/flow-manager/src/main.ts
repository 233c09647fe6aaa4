import { pino } from "pino";
import { startFlowManager } from "./app.ts";
import { loadConfig } from "./config.ts";

// The composition root: parse the configuration once, start, stop cleanly on SIGTERM/SIGINT.
const bootLog = pino({ name: "flow-manager" });
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  bootLog.fatal((error as Error).message);
  process.exit(2);
}
// Asynchronous writes: audit lines (two per message) do not block the event loop; flushed on exit.
const log = pino(
  { name: "flow-manager", level: config.logLevel },
  pino.destination({ dest: 1, sync: false }),
);
const manager = await startFlowManager(config, { logger: log });

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    manager.close().then(
      () => log.flush(() => process.exit(0)),
      (error) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
