import { sampleValue, scraper } from "@dockflow/metrics";
import { removeLabelled } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ask,
  docker,
  runFlow,
  startTestManager,
  TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

const METRICS_TOKEN = "flow-metrics-token-for-tests";

describe("the flow manager's Prometheus metrics", () => {
  let fm: TestManager;
  let client: TestClient;
  const { scrape, value } = scraper(() => fm.manager.metricsUrl, METRICS_TOKEN);

  beforeAll(async () => {
    fm = await startTestManager({ METRICS_PORT: "0", METRICS_TOKEN });
    client = await TestClient.connect(fm.url);
  });

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("refuses a scrape without the token", async () => {
    const url = fm.manager.metricsUrl;
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
