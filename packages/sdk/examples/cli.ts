/**
 * Runs an example by hand against a running flow manager:
 *
 *   pnpm --filter @dockflow/sdk exec tsx examples/cli.ts lifecycle [url]
 *   pnpm --filter @dockflow/sdk exec tsx examples/cli.ts message <container id> [url]
 *   pnpm --filter @dockflow/sdk exec tsx examples/cli.ts logs <container id> [url]
 *   pnpm --filter @dockflow/sdk exec tsx examples/cli.ts monitor [url]
 *   pnpm --filter @dockflow/sdk exec tsx examples/cli.ts errors [url]
 *   pnpm --filter @dockflow/sdk exec tsx examples/cli.ts master <hostname> [url]
 *
 * The flow manager's url defaults to FLOW_URL or http://localhost:8000 (FLOW_MANAGER_TOKEN is sent
 * when set); the master's to MASTER_URL or http://localhost:8080, with MASTER_ADMIN_TOKEN.
 */
import { createFlowClient, createMasterClient, type FlowClient } from "../src/index.ts";
import { logServerErrors, startContainerSafely } from "./error-handling.ts";
import { lifecycle } from "./lifecycle.ts";
import { printLogs } from "./logs.ts";
import { agentWalkthrough } from "./master.ts";
import { processData } from "./messaging.ts";
import { monitorContainers } from "./monitoring.ts";

const USAGE =
  "usage: cli.ts lifecycle|message <container id>|logs <container id>|monitor|errors|master <hostname> [url]";

async function master(hostname: string | undefined, url: string | undefined): Promise<void> {
  if (!hostname) throw new Error(USAGE);
  const admin = createMasterClient({
    baseUrl: url ?? process.env.MASTER_URL ?? "http://localhost:8080",
    ...(process.env.MASTER_ADMIN_TOKEN && { token: process.env.MASTER_ADMIN_TOKEN }),
  });
  await agentWalkthrough(admin, { hostname });
}

async function main(args: string[]): Promise<void> {
  const [example, ...rest] = args;
  if (example === "master") return master(rest[0], rest[1]);
  const containerId = example === "message" || example === "logs" ? rest.shift() : undefined;
  const url = rest[0] ?? process.env.FLOW_URL ?? "http://localhost:8000";
  const flow: FlowClient = createFlowClient(url, {
    ...(process.env.FLOW_MANAGER_TOKEN && { token: process.env.FLOW_MANAGER_TOKEN }),
  });
  // Getting started: connection and server events.
  flow.on("connect", () => console.log("Connected to Flow Manager"));
  flow.on("connected", (data) => console.log("Server welcome message:", data.message));
  flow.on("disconnect", () => console.log("Disconnected from Flow Manager"));
  flow.on("activity_log", (data) => console.log("Activity:", data.activity_type, data.message));
  logServerErrors(flow);
  try {
    await flow.ready();
    switch (example) {
      case "lifecycle":
        await lifecycle(flow, { name: `sdk-example-${Date.now()}` });
        break;
      case "message":
        if (!containerId) throw new Error(USAGE);
        await processData(flow, containerId, "sample input data");
        break;
      case "logs": {
        if (!containerId) throw new Error(USAGE);
        const stop = new AbortController();
        process.once("SIGINT", () => stop.abort());
        await printLogs(flow, containerId, { signal: stop.signal });
        break;
      }
      case "monitor": {
        const monitor = await monitorContainers(flow);
        console.log("Monitoring; press Ctrl-C to stop");
        await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
        monitor.stop();
        break;
      }
      case "errors":
        // A container that does not exist: handled, reported, null.
        await startContainerSafely(flow, "no-such-container");
        break;
      default:
        throw new Error(USAGE);
    }
  } finally {
    flow.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
