import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningTasks } from "./helpers/cluster.ts";
import { ClusterScenario } from "./helpers/scenario.ts";

const FALLBACK = "cannot read Swarm services on this node";

/**
 * Seed 2 and 5 on three nodes: a labelled service's replicas spread over the nodes, each node's
 * agent reporting only its own tasks, one tunnel serving the hostname; then scaled to 6 and back.
 */
describe("a service spread over three nodes, scaled to 6 and back to 1", () => {
  let s: ClusterScenario;
  let service: string;
  let serviceId: string;
  let hostname: string;
  const owners: string[] = [];
  let sampling = true;

  /** Every agent reports exactly the tasks `docker service ps` shows on its node. */
  const agentsAgreeWithSwarm = async (count: number) =>
    waitFor(
      async () => {
        const tasks = await runningTasks(s.cluster, service);
        if (tasks.length !== count) return false;
        return s.agents.every((a) => {
          const onNode = tasks
            .filter((t) => t.nodeId === a.node.id)
            .map((t) => t.id)
            .sort();
          return a.taskIds(serviceId).join() === onNode.join();
        });
      },
      { message: `every agent reports its own ${count} tasks`, timeoutMs: 120_000 },
    );

  beforeAll(async () => {
    s = await ClusterScenario.start("spread");
    service = `web-app-${s.names.id}`;
    hostname = `spread-${s.names.id}.example.com`;
  });

  afterAll(async () => {
    sampling = false;
    await s?.close();
  });

  it("registers one agent per node, with the node's id and role", async () => {
    const agents = await s.masterAgents();
    expect(agents.map((a) => `${a.node_id} ${a.node_role} ${a.status}`).sort()).toEqual(
      s.cluster.nodes.map((n) => `${n.id} ${n.role} online`).sort(),
    );
  });

  it("3 replicas on 3 nodes: each agent reports its own task; one tunnel serves the hostname", async () => {
    serviceId = await s.createService(service, hostname, 3, ["--placement-pref", "spread=node.id"]);
    await agentsAgreeWithSwarm(3);
    const tasks = await runningTasks(s.cluster, service);
    expect(new Set(tasks.map((t) => t.nodeId)).size).toBe(3);
    for (const a of s.agents) {
      expect(a.agent?.workloads().map((w) => w.node_id)).toEqual([a.node.id]);
    }
    const rule = await waitFor(() => s.rule(hostname), { message: "rule" });
    expect(rule).toMatchObject({ source: `service:${serviceId}`, state: "active" });
    const tunnelId = await s.servedBy(hostname, rule.agent_id);
    const owner = s.agentById(rule.agent_id);
    expect(s.stack.ingress(tunnelId)).toContainEqual(
      expect.objectContaining({ hostname, service: `http://${service}:8080` }),
    );
    // The owner's connector runs on the owner's node (a pinned service on the manager, a
    // container of its own engine on a worker).
    expect(await s.connectorNode(rule.agent_id)).toBe(owner.node.id);
    // Sample the owner from here on: scaling must never move the hostname back and forth.
    owners.push(rule.agent_id);
    // One request at a time, so that answers are recorded in the order the master gave them.
    void (async () => {
      while (sampling) {
        const r = await s.rule(hostname).catch(() => undefined);
        if (r && r.agent_id !== owners.at(-1)) owners.push(r.agent_id);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  });

  it("docker service scale to 6: every agent reports its own tasks; update_tunnel_config says 6 replicas", async () => {
    await s.manager(["service", "scale", "--detach", `${service}=6`]);
    await agentsAgreeWithSwarm(6);
    const owner = s.agentById(owners[0]!);
    // The owner serves all six through the service's name; the count sums every node's tasks.
    await waitFor(() => owner.agent?.tunnel()?.rules?.[hostname]?.replicas === 6, {
      message: "update_tunnel_config with 6 replicas",
      timeoutMs: 60_000,
    });
    expect(owner.agent?.tunnel()?.rules?.[hostname]).toMatchObject({
      service,
      port: 8080,
      replicas: 6,
      load_balancer: "round_robin",
    });
    expect(await s.rule(hostname)).toMatchObject({ agent_id: owners[0], replicas: 6 });
    expect(owners).toEqual([owner.id]);
  });

  it("back to 1: the hostname ends with the node that runs the last task, never moving back", async () => {
    await s.manager(["service", "scale", "--detach", `${service}=1`]);
    await agentsAgreeWithSwarm(1);
    const [last] = await runningTasks(s.cluster, service);
    const keeper = s.agentOn(s.cluster.byId(last!.nodeId));
    await s.servedBy(hostname, keeper.id);
    await waitFor(() => keeper.agent?.tunnel()?.rules?.[hostname]?.replicas === 1, {
      message: "update_tunnel_config with 1 replica",
      timeoutMs: 60_000,
    });
    // Nothing flapped: the hostname moved only when its owner's tasks were removed (Swarm may
    // remove several nodes' tasks one after the other), never back to an earlier owner.
    expect((await s.rule(hostname))?.agent_id).toBe(keeper.id);
    // The sampler reads every 100 ms: let it record the owner just read before checking its history.
    await waitFor(() => owners.at(-1) === keeper.id, { message: "the sampler saw the keeper" });
    expect(new Set(owners).size).toBe(owners.length);
  });

  it("the agents on workers read their tasks' container labels, and say so once", () => {
    for (const a of s.agents) {
      const said = a.logs.lines.filter((line) => line.includes(FALLBACK)).length;
      expect(`${a.node.role}: ${said}`).toBe(`${a.node.role}: ${a.node.role === "worker" ? 1 : 0}`);
    }
  });
});
