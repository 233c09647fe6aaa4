import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ConnectorManager } from "./connector.ts";
import type { ConnectorInfo, DockerManager } from "./docker/manager.ts";
import { createAgentMetrics } from "./metrics.ts";
import type { StateFiles } from "./state-files.ts";

/** A ConnectorManager over a fake Docker manager and state files, as the agent builds it. */
function connectorsOver(
  manager: DockerManager,
  files: StateFiles,
  report: (event: { container: { status: string; version?: string } }) => void = () => undefined,
): ConnectorManager {
  return new ConnectorManager(
    manager,
    files,
    {
      name: "tunnel",
      image: "cloudflare/cloudflared:2025.9.0",
      network: "net",
      labelPrefix: "dockflare.",
      extraLabels: {},
      startTimeoutMs: 10_000,
    },
    report,
    pino({ level: "silent" }),
    createAgentMetrics(new Registry()),
  );
}

/** The start_tunnel command both tests send. */
const START = {
  id: "cmd_1",
  timestamp: "2026-11-30T00:00:00.000Z",
  action: "start_tunnel",
  tunnel_id: "tunnel_1",
  tunnel_name: "t",
  token: "secret-token",
  rules: {},
} as const;

describe("ConnectorManager", () => {
  it("saves tunnel_state.json before it creates the connector on start_tunnel", async () => {
    const steps: string[] = [];
    let connector: ConnectorInfo | undefined;
    const manager = {
      mode: "standalone",
      connectorKind: "container",
      connectorDifference: async () => (connector ? undefined : "missing"),
      createConnector: async () => {
        steps.push("create connector");
        connector = { id: "c1", name: "tunnel", status: "running", running: true };
      },
      inspectConnector: async () => connector,
    } as unknown as DockerManager;
    const files = {
      writeTunnelState: async (state: { desired_state: string }) => {
        steps.push(`save ${state.desired_state}`);
      },
    } as unknown as StateFiles;
    const reports: string[] = [];
    const connectors = connectorsOver(manager, files, (event) =>
      reports.push(`${event.container.status} ${event.container.version}`),
    );
    const result = await connectors.start(START);
    expect(steps).toEqual(["save running", "create connector"]);
    expect(result).toMatchObject({ tunnel_id: "tunnel_1", status: "running", container_id: "c1" });
    expect(reports).toEqual(["running cloudflared version 2025.9.0"]);
    await connectors.close();
  });

  it("recreates a stopped connector that the engine refuses to start (a stale task after a crash)", async () => {
    const steps: string[] = [];
    let connector: ConnectorInfo = { id: "c1", name: "tunnel", status: "exited", running: false };
    const manager = {
      mode: "standalone",
      connectorKind: "container",
      connectorDifference: async () => undefined,
      startConnector: async () => {
        steps.push("start connector");
        throw new Error("(HTTP code 500) server error - task 0e62: already exists");
      },
      createConnector: async () => {
        steps.push("create connector");
        connector = { id: "c2", name: "tunnel", status: "running", running: true };
      },
      inspectConnector: async () => connector,
    } as unknown as DockerManager;
    const files = { writeTunnelState: async () => undefined } as unknown as StateFiles;
    const connectors = connectorsOver(manager, files);
    const result = await connectors.start(START);
    expect(steps).toEqual(["start connector", "create connector"]);
    expect(result).toMatchObject({ status: "running", container_id: "c2" });
    await connectors.close();
  });
});
