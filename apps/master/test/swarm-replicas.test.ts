import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, startEvent, webLabels } from "../src/testing/expect.ts";
import { startTestMaster, type TestMaster } from "../src/testing/harness.ts";

type Rule = { hostname: string; agent_id: string; state: string; replicas: number | null };
type Agent = { agentId: string; key: string };

/** One Swarm service with tasks on two nodes: the hostname stays with one tunnel until it must move. */
describe("a Swarm service's replicas on several nodes", () => {
  let t: TestMaster;
  let a: Agent;
  let b: Agent;
  const labels = webLabels("spread.example.com");
  const task = (node: string, n: number, migrationSource?: string) =>
    startEvent("web-app", labels, {
      service_id: "svc-spread",
      task_id: `t-${node}-${n}`,
      node_id: node,
      ...(migrationSource ? { migration_source: migrationSource } : {}),
    });
  const post = (agent: Agent, body: unknown) =>
    t.api(`/agents/${agent.agentId}/events`, { method: "POST", token: agent.key, json: body });
  const report = (agent: Agent, node: string, count: number) =>
    post(agent, {
      type: "status_report",
      container: {
        containers: Array.from({ length: count }, (_, i) => task(node, i).container),
      },
    });
  const rule = async () =>
    (await json<{ rules: Rule[] }>(await t.admin("/rules"))).rules.find(
      (r) => r.hostname === "spread.example.com",
    );

  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
    a = await t.registerAgent({ node_info: { node_id: "node-a", node_role: "manager" } });
    b = await t.registerAgent({ node_info: { node_id: "node-b", node_role: "worker" } });
  });
  afterAll(() => t?.close());

  it("a task started on a second node leaves the hostname with its online owner", async () => {
    await json(await post(a, task("node-a", 0)));
    expect(await rule()).toMatchObject({ agent_id: a.agentId, state: "active" });
    await json(await post(b, task("node-b", 0)));
    await json(await report(b, "node-b", 2));
    expect(await rule()).toMatchObject({ agent_id: a.agentId, state: "active" });
    await json(await report(a, "node-a", 3));
    // Replicas count the tasks on every online agent's node: 3 here, 2 on node-b.
    expect(await rule()).toMatchObject({ agent_id: a.agentId, replicas: 5 });
  });

  it("moves when the owner's tasks are gone (grace), and does not move back", async () => {
    await json(await report(a, "node-a", 0));
    expect(await rule()).toMatchObject({ agent_id: a.agentId, state: "grace" });
    await json(await report(b, "node-b", 2));
    expect(await rule()).toMatchObject({ agent_id: b.agentId, state: "active", replicas: 2 });
    await json(await post(a, task("node-a", 4)));
    await json(await report(a, "node-a", 1));
    expect(await rule()).toMatchObject({ agent_id: b.agentId, state: "active", replicas: 3 });
  });

  it("a stated migration (seed 6.3, migration_source) moves it at once", async () => {
    await json(await post(a, task("node-a", 5)));
    expect(await rule()).toMatchObject({ agent_id: b.agentId });
    await json(await post(a, task("node-a", 6, "node-b")));
    expect(await rule()).toMatchObject({ agent_id: a.agentId, state: "active" });
  });
});
