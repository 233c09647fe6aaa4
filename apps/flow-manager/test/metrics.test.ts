import { sampleValue, scraper } from "@dockflow/metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask, runFlow, startManagerWithClient, uniqueName } from "./helpers.ts";

const METRICS_TOKEN = "flow-metrics-token-for-tests";

describe("the flow manager's Prometheus metrics", () => {
  let env: Awaited<ReturnType<typeof startManagerWithClient>>;
  const { scrape, value } = scraper(() => env.fm.manager.metricsUrl, METRICS_TOKEN);

  beforeAll(async () => {
    env = await startManagerWithClient({ METRICS_PORT: "0", METRICS_TOKEN });
  });

  afterAll(async () => {
    await env?.close();
  });

  it("refuses a scrape without the token", async () => {
    const url = env.fm.manager.metricsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(url ?? "");
    expect(response.status).toBe(401);
    expect(await response.text()).toBe("unauthorized\n");
  });

  it("counts containers, clients, relayed messages with their latency, and errors by type", async () => {
    const errorsBefore =
      (await value("dockflow_flow_errors_total", {
        error_type: "validation_error",
        operation: "send_message",
      })) ?? 0;
    const { client } = env;
    const id = await runFlow(client, uniqueName("metrics"));
    for (const word of ["one", "two", "three"]) {
      const reply = await ask(client, id, "echo", { word });
      expect(reply.message).toMatchObject({ command: "result", data: { word } });
    }
    const invalid = await client.raw("send_message", { container_id: id });
    expect(invalid).toMatchObject({ ok: false, error: { error_type: "validation_error" } });

    const samples = await scrape();
    const at = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(samples, name, labels);
    expect(at("dockflow_flow_containers", { state: "running" })).toBe(1);
    expect(at("dockflow_flow_containers", { state: "exited" })).toBe(0);
    expect(at("dockflow_flow_messages_relayed_total")).toBe(3);
    expect(at("dockflow_flow_relay_duration_seconds_count")).toBe(3);
    expect(
      at("dockflow_flow_errors_total", {
        error_type: "validation_error",
        operation: "send_message",
      }),
    ).toBe(errorsBefore + 1);
    expect(at("dockflow_flow_clients")).toBe(1);
    expect(at("dockflow_flow_log_streams")).toBe(0);
    expect(at("dockflow_flow_exec_sessions")).toBe(0);
    expect(at("dockflow_flow_crashes_total")).toBe(0);
    // Bounded labels only: no container id anywhere in the exposition.
    expect(samples.filter((s) => Object.values(s.labels).includes(id))).toEqual([]);
  });
});
