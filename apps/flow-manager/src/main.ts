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
// Audit lines (two per relayed message) are buffered and written 4 KiB at a time, or every
// 250 ms when traffic is light, off the event loop; pino writes out what is buffered on exit (also
// after an uncaught exception; only a SIGKILL can lose the last 250 ms). One write per line cost
// the relay path about a tenth of its time.
const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
setInterval(() => destination.flush(), 250).unref();
const log = pino({ name: "flow-manager", level: config.logLevel }, destination);
const manager = await startFlowManager(config, { logger: log });

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    // Out now, not at the next 250 ms flush: a supervisor may not wait for the close below.
    log.flush();
    manager.close().then(
      () => log.flush(() => process.exit(0)),
      (error) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
