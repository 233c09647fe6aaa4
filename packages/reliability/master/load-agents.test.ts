import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestMaster, type TestMaster } from "../src/master-harness.ts";
import { formatLoad, simulateAgents } from "../src/master-load.ts";

/**
 * A scaled-down run of bench/reliability-master-agents-10k.ts: LOAD_AGENTS simulated agents
 * (default 200) each issued a key, registering, heartbeating, reporting and polling, 32 at a time.
 * No errors, every agent known to the master and online; latency percentiles printed (no timing
 * threshold: the figures are reported in docs/reliability.md from the bench run).
 */

const AGENTS = Number(process.env.LOAD_AGENTS ?? 200);

describe("simulated agents against the master", () => {
  let master: TestMaster;

  beforeAll(async () => {
    master = await startTestMaster({ extra: { LOG_LEVEL: "warn" } });
    master.client.record = false;
  }, 120_000);

  afterAll(async () => {
    await master?.close();
  }, 120_000);

  it(`${AGENTS} agents: no errors, all registered and online`, async () => {
    const result = await simulateAgents(master.client, {
      agents: AGENTS,
      concurrency: 32,
      tag: "load",
    });
    console.info(`[reliability] simulated agents (test run)\n${formatLoad(result)}`);
    expect(result.errors.slice(0, 5)).toEqual([]);
    expect(new Set(result.agentIds).size).toBe(AGENTS);
    const list = await master.client.ok<{ agents: { agent_id: string; status: string }[] }>(
      "GET",
      "/api/v2/agents",
    );
    expect(list.agents.filter((a) => a.status === "online")).toHaveLength(AGENTS);
    expect(await master.client.healthy()).toBe(true);
    // Nothing labelled for dockflow ran on the simulated nodes: no rule, no tunnel, no Cloudflare write.
    expect(master.cf.sandbox.state.tunnels.size).toBe(0);
  }, 300_000);
});
