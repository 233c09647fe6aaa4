import { hostname } from "node:os";
import { scraper } from "@dockflow/metrics";
import { dockerFor, removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../src/index.ts";
import {
  agentEnv,
  runLabelled,
  startTestAgent,
  tempDataDir,
  uniqueNames,
} from "./helpers/agent.ts";
import { FakeMaster } from "./helpers/fake-master.ts";

const docker = dockerFor();
const names = uniqueNames("metrics");
const METRICS_TOKEN = `agent-metrics-token-${names.id}`;
const TOKEN = `eyJhIjoiYWNjb3VudCIsInQiOiJ0dW5uZWwiLCJzIjoic2VjcmV0In0-${names.id}`;

describe("agent /metrics, scraped from a running agent on the real engine", () => {
  const master = new FakeMaster();
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let agent: RunningAgent;

  const metricsUrl = () => {
    if (!agent.metricsUrl) throw new Error("the agent has no metrics listener");
    return agent.metricsUrl;
  };
  const { scrape, value } = scraper(metricsUrl, METRICS_TOKEN);

  beforeAll(async () => {
    await master.listen();
    dataDir = await tempDataDir();
    ({ agent } = await startTestAgent(
      agentEnv({
        masterUrl: master.url,
        apiKey: master.apiKey,
        scope: names.scopeLabel,
        names,
        dataDir: dataDir.path,
        env: { METRICS_TOKEN },
      }),
    ));
    await waitFor(() => agent.agentId, { message: "registration" });
  });

  afterAll(async () => {
    await agent?.close();
    await master.close();
    await removeLabelled(docker);
    await dataDir?.remove();
  });

  it("listens on loopback and refuses a scrape without the token", async () => {
    expect(new URL(metricsUrl()).hostname).toBe("127.0.0.1");
    expect((await fetch(metricsUrl())).status).toBe(401);
    const wrong = await fetch(metricsUrl(), { headers: { authorization: "Bearer wrong" } });
    expect(wrong.status).toBe(401);
  });

  it("counts the workloads it reports", async () => {
    await runLabelled(docker, names.scopeLabel, `web-a-${names.id}`);
    await runLabelled(docker, names.scopeLabel, `web-b-${names.id}`);
    await waitFor(
      async () => ((await value("dockflow_agent_workloads")) === 2 ? true : undefined),
      {
        message: "two workloads",
      },
    );
    expect(await value("dockflow_agent_status_reports_total")).toBeGreaterThanOrEqual(1);
    expect(await value("process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("reports the connector's state and counts its restarts by reason", async () => {
    const start = master.enqueue({
      action: "start_tunnel",
      tunnel_id: "tunnel_metrics",
      tunnel_name: "tunnel-metrics",
      token: TOKEN,
      rules: {},
    });
    await waitFor(() => master.results(start.id)[0]?.success, { message: "start ack" });
    expect(await value("dockflow_agent_connector_state", { state: "running" })).toBe(1);
    expect(await value("dockflow_agent_connector_restarts_total", { reason: "recovery" })).toBe(
      undefined,
    );

    const restart = master.enqueue({ action: "restart_tunnel", tunnel_id: "tunnel_metrics" });
    await waitFor(() => master.results(restart.id)[0]?.success, { message: "restart ack" });
    expect(await value("dockflow_agent_connector_restarts_total", { reason: "command" })).toBe(1);

    // Removed behind the agent's back: the agent brings it back and counts one recovery.
    await docker.getContainer(names.connector).remove({ force: true });
    await waitFor(
      async () =>
        (await value("dockflow_agent_connector_restarts_total", { reason: "recovery" })) === 1
          ? true
          : undefined,
      { message: "recovery counted" },
    );
    await waitFor(
      async () =>
        (await value("dockflow_agent_connector_state", { state: "running" })) === 1
          ? true
          : undefined,
      { message: "running again" },
    );
    const states = (await scrape()).filter((s) => s.name === "dockflow_agent_connector_state");
    expect(states.filter((s) => s.value === 1)).toHaveLength(1);
  });

  it("counts failed master requests and shows the outbox filling while the master is away", async () => {
    const port = Number(new URL(master.url).port);
    await master.close();
    await runLabelled(docker, names.scopeLabel, `web-c-${names.id}`);
    await waitFor(
      async () => ((await value("dockflow_agent_outbox_events")) ?? 0) >= 1 || undefined,
      { message: "events queued" },
    );
    expect(
      await value("dockflow_agent_master_request_failures_total", { reason: "unreachable" }),
    ).toBeGreaterThanOrEqual(1);

    await master.listen(port);
    await waitFor(
      async () => ((await value("dockflow_agent_outbox_events")) === 0 ? true : undefined),
      {
        message: "outbox drained",
      },
    );
  });

  it("keeps label values bounded: no agent id, host or container names", async () => {
    const own = (await scrape()).filter((s) => s.name.startsWith("dockflow_agent_"));
    expect(own.length).toBeGreaterThan(0);
    const allowed: Record<string, string[]> = {
      reason: ["unreachable", "http_4xx", "http_5xx", "command", "recovery"],
      state: ["created", "running", "restarting", "exited", "missing", "stopped", "dead", "paused"],
    };
    for (const sample of own) {
      for (const [key, labelValue] of Object.entries(sample.labels)) {
        expect(allowed[key], `${sample.name} label ${key}`).toContain(labelValue);
      }
      const text = JSON.stringify(sample.labels);
      expect(text).not.toContain(agent.agentId);
      expect(text).not.toContain(hostname());
      expect(text).not.toContain(names.id);
    }
  });
});
