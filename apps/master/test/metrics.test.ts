import { sampleValue, scraper } from "@dockflow/metrics";
import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestMaster, type TestMaster } from "../src/testing/harness.ts";

const METRICS_TOKEN = "master-metrics-token-for-tests";

describe("master /metrics, scraped from a running master on PostgreSQL", () => {
  let t: TestMaster;
  let agent: { agentId: string; key: string };
  let tunnelId: string;

  const metricsUrl = () => {
    if (!t.running.metricsUrl) throw new Error("the master has no metrics listener");
    return t.running.metricsUrl;
  };
  const { scrape, value } = scraper(metricsUrl, METRICS_TOKEN);
  const event = (body: unknown) =>
    t.api(`/agents/${agent.agentId}/events`, { method: "POST", token: agent.key, json: body });
  const poll = async () => {
    const response = await t.api(`/agents/${agent.agentId}/commands?wait=0`, { token: agent.key });
    return ((await response.json()) as { commands: Record<string, unknown>[] }).commands;
  };

  beforeAll(async () => {
    t = await startTestMaster({
      database: "postgres",
      env: { METRICS_PORT: "0", METRICS_TOKEN, COMMAND_VISIBILITY_TIMEOUT_SECONDS: "60" },
    });
    agent = await t.registerAgent();
  });
  afterAll(() => t?.close());

  it("listens on loopback and refuses a scrape without the token", async () => {
    expect(new URL(metricsUrl()).hostname).toBe("127.0.0.1");
    expect((await fetch(metricsUrl())).status).toBe(401);
  });

  it("counts agents and rules by state from the database, and events by type", async () => {
    expect(await value("dockflow_master_agents", { state: "online" })).toBe(1);
    expect(await value("dockflow_master_agents", { state: "offline" })).toBe(0);
    expect(await value("dockflow_master_rules", { state: "active" })).toBe(0);
    const started = await event({
      type: "container_start",
      container: {
        id: "c1",
        name: "web-app",
        labels: {
          "dockflare.enable": "true",
          "dockflare.domain": "app.example.com",
          "dockflare.port": "8080",
        },
        status: "running",
      },
    });
    expect(started.status).toBe(200);
    expect(await value("dockflow_master_rules", { state: "active" })).toBe(1);
    expect(await value("dockflow_master_events_ingested_total", { type: "container_start" })).toBe(
      1,
    );
  });

  it("counts commands queued, delivered, redelivered and acknowledged, and reconcile passes", async () => {
    const [start] = await waitFor(async () => {
      const commands = await poll();
      return commands.length ? commands : undefined;
    });
    expect(start?.action).toBe("start_tunnel");
    tunnelId = start?.tunnel_id as string;
    expect(await value("dockflow_master_commands_queued_total", { action: "start_tunnel" })).toBe(
      1,
    );
    expect(
      await value("dockflow_master_commands_delivered_total", { action: "start_tunnel" }),
    ).toBe(1);
    expect(await value("dockflow_master_tunnels", { state: "created" })).toBe(1);
    // The tunnel was created at Cloudflare (the stand-in) with one POST, answered 200.
    expect(
      await value("dockflow_master_cloudflare_requests_total", {
        operation: "POST /accounts/:id/cfd_tunnel",
        status: "200",
      }),
    ).toBe(1);
    const samples = await scrape();
    const runs = sampleValue(samples, "dockflow_master_reconcile_runs_total", { kind: "event" });
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(samples, "dockflow_master_reconcile_duration_seconds_count", { kind: "event" }),
    ).toBe(runs);
    expect(
      sampleValue(samples, "dockflow_master_reconcile_failures_total", { kind: "event" }),
    ).toBeUndefined();

    // Not acknowledged within the visibility timeout: delivered again.
    t.clock.advanceSeconds(61);
    const [again] = await poll();
    expect(again?.id).toBe(start?.id);
    expect(
      await value("dockflow_master_commands_redelivered_total", { action: "start_tunnel" }),
    ).toBe(1);
    expect(
      await value("dockflow_master_commands_delivered_total", { action: "start_tunnel" }),
    ).toBe(1);

    expect(
      (await event({ type: "command_result", command_id: start?.id, success: true })).status,
    ).toBe(200);
    expect(await value("dockflow_master_commands_acknowledged_total", { success: "true" })).toBe(1);
  });

  it("shows connectors by the state their agent reported", async () => {
    expect(await value("dockflow_master_connectors", { state: "unknown" })).toBe(1);
    const reported = await event({
      type: "tunnel_status",
      tunnel_id: tunnelId,
      container: { name: "connector", status: "running" },
    });
    expect(reported.status).toBe(200);
    expect(await value("dockflow_master_connectors", { state: "running" })).toBe(1);
    expect(await value("dockflow_master_connectors", { state: "unknown" })).toBeUndefined();
    expect(await value("dockflow_master_events_ingested_total", { type: "tunnel_status" })).toBe(1);
  });

  it("counts live-stream clients while they are connected", async () => {
    expect(await value("dockflow_master_stream_clients")).toBe(0);
    const abort = new AbortController();
    const stream = await t.admin("/stream", { signal: abort.signal });
    expect(stream.status).toBe(200);
    await waitFor(async () => (await value("dockflow_master_stream_clients")) === 1 || undefined);
    abort.abort();
    await waitFor(async () => (await value("dockflow_master_stream_clients")) === 0 || undefined);
  });

  it("keeps label values bounded: no agent id, tunnel id, hostname or container name", async () => {
    const own = (await scrape()).filter((s) => s.name.startsWith("dockflow_master_"));
    expect(own.length).toBeGreaterThan(0);
    for (const sample of own) {
      expect(
        Object.keys(sample.labels).every((k) =>
          ["state", "action", "type", "success", "kind", "le", "operation", "status"].includes(k),
        ),
      ).toBe(true);
      const text = JSON.stringify(sample.labels);
      for (const unbounded of [agent.agentId, tunnelId, "app.example.com", "web-app", "c1"]) {
        expect(text).not.toContain(unbounded);
      }
    }
  });
});
