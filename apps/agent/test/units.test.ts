import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentEvent } from "@dockflow/protocol";
import { waitFor } from "@dockflow/testkit";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.ts";
import { MasterError } from "../src/master-client.ts";
import { Outbox } from "../src/outbox.ts";
import { StateFiles } from "../src/state-files.ts";

describe("configuration", () => {
  it("applies defaults and never echoes a secret in its errors", () => {
    const config = parseConfig({ MASTER_URL: "http://master:8080/", AGENT_API_KEY: "k" });
    expect(config).toMatchObject({
      MASTER_URL: "http://master:8080",
      DOCKER_MODE: "auto",
      REPORT_INTERVAL_SECONDS: 30,
      CLOUDFLARED_IMAGE: "cloudflare/cloudflared:2025.9.0",
      LABEL_PREFIX: "dockflare.",
    });
    expect(() =>
      parseConfig({ MASTER_URL: "not a url", AGENT_API_KEY: "super-secret-key", DOCKER_MODE: "x" }),
    ).toThrow(/MASTER_URL.*DOCKER_MODE/);
    try {
      parseConfig({ MASTER_URL: "nope", AGENT_API_KEY: "super-secret-key" });
    } catch (error) {
      expect((error as Error).message).not.toContain("super-secret-key");
    }
    expect(
      parseConfig({ MASTER_URL: "http://m", AGENT_API_KEY: "k", CONNECTOR_LABELS: "a=1, b" })
        .CONNECTOR_LABELS,
    ).toEqual({ a: "1", b: "" });
  });
});

describe("state files", () => {
  it("writes atomically with mode 600 and leaves no temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dockflow-agent-unit-"));
    try {
      const files = new StateFiles(join(dir, "data"));
      await files.writeTunnelState({
        token: "t",
        id: "i",
        name: "n",
        desired_state: "running",
        rules: {},
      });
      await files.writeAgentId("agent-1");
      expect((await stat(files.tunnelStatePath)).mode & 0o777).toBe(0o600);
      expect((await stat(files.agentIdPath)).mode & 0o777).toBe(0o600);
      expect(await readdir(join(dir, "data"))).toEqual(["agent_id.txt", "tunnel_state.json"]);
      expect(await files.readAgentId()).toBe("agent-1");
      expect(JSON.parse(await readFile(files.tunnelStatePath, "utf8")).desired_state).toBe(
        "running",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("outbox", () => {
  it("keeps a bounded, in-order backlog while the master is away", async () => {
    const controller = new AbortController();
    const sent: string[] = [];
    let up = false;
    const outbox = new Outbox({
      capacity: 10,
      agentId: async () => "agent-1",
      send: async (_id, event) => {
        if (!up) throw new MasterError(0, "unreachable", "down");
        sent.push((event as Extract<AgentEvent, { type: "command_result" }>).command_id);
      },
      reregister: () => undefined,
      log: pino({ level: "silent" }),
      signal: controller.signal,
    });
    outbox.start();
    for (let i = 0; i < 25; i++) {
      outbox.push({ type: "command_result", command_id: `c${i}`, success: true });
    }
    expect(outbox.size).toBe(10);
    expect(outbox.dropped).toBe(15);
    up = true;
    await waitFor(() => sent.length === 10, { message: "backlog delivered", timeoutMs: 60_000 });
    // The head (possibly in flight) is kept, then the newest, in order.
    expect(sent).toEqual(["c0", ...Array.from({ length: 9 }, (_, i) => `c${16 + i}`)]);
    controller.abort();
    await outbox.close();
  });

  it("keeps only the newest queued heartbeat and status report", () => {
    const outbox = new Outbox({
      capacity: 100,
      agentId: () => new Promise(() => undefined),
      send: async () => undefined,
      reregister: () => undefined,
      log: pino({ level: "silent" }),
      signal: new AbortController().signal,
    });
    outbox.push({ type: "container_start", container: { name: "a", labels: {} } });
    for (let i = 0; i < 5; i++) {
      outbox.push({ type: "heartbeat" });
      outbox.push({ type: "status_report", container: { containers: [] } });
    }
    expect(outbox.size).toBe(3);
  });
});
