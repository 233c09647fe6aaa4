import { join } from "node:path";
import { FLOW_SOCKET_NAME } from "@dockflow/protocol";
import { readConfig } from "./config.ts";
import { errorFields, jsonLogger } from "./log.ts";
import { pingRuntime } from "./ping.ts";
import { type Runtime, startRuntime } from "./runtime.ts";

/**
 * The flow runtime's entry point (bundled to dist/runtime.mjs):
 *   node runtime.mjs               serve `<FLOW_SOCKET_DIR>/flow.sock` with the code in FLOW_CODE_DIR
 *   node runtime.mjs healthcheck   exit 0 if the running runtime answers flow.ping, else 1
 */
const config = readConfig();
const log = jsonLogger({ level: config.logLevel });
const mode = process.argv[2];

if (mode === "healthcheck") {
  try {
    const pong = await pingRuntime(
      join(config.socketDir, FLOW_SOCKET_NAME),
      config.healthcheckTimeoutMs,
    );
    process.stdout.write(
      `healthy: code_version=${pong.code_version} uptime_ms=${pong.uptime_ms}\n`,
    );
    process.exit(0);
  } catch (error) {
    process.stderr.write(`unhealthy: ${(error as Error).message}\n`);
    process.exit(1);
  }
} else if (mode !== undefined) {
  process.stderr.write(`usage: runtime.mjs [healthcheck] (unknown argument: ${mode})\n`);
  process.exit(2);
}

process.on("unhandledRejection", (reason) => {
  log("error", "unhandled promise rejection", { error: errorFields(reason) });
});
process.on("uncaughtException", (error) => {
  log("error", "uncaught exception, exiting", { error: errorFields(error) });
  process.exit(1);
});

let runtime: Runtime;
try {
  runtime = await startRuntime({ socketDir: config.socketDir, codeDir: config.codeDir, log });
} catch (error) {
  log("error", "flow runtime failed to start", { error: errorFields(error) });
  process.exit(1);
}

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  log("info", "stopping", { signal });
  // Exit promptly even if closing hangs (it should not).
  setTimeout(() => process.exit(0), 3000).unref();
  runtime.close().then(
    () => process.exit(0),
    (error: unknown) => {
      log("error", "clean shutdown failed", { error: errorFields(error) });
      process.exit(1);
    },
  );
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
