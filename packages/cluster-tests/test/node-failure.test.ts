import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterNode,
  killNode,
  nodeState,
  runningTasks,
  startNode,
} from "./helpers/cluster.ts";
import {
  ClusterScenario,
  describeMove,
  moveVerdict,
  type NodeAgent,
  ServingTimeline,
} from "./helpers/scenario.ts";

/**
 * Seed 6 for real: the worker running the task that serves a hostname dies (its agent, its
 * engine and every container on it at once). Swarm reschedules the task on the other worker,
 * whose agent reports it; the hostname moves to that agent's tunnel without a moment where the
 * CNAME is missing; the dead node's agent goes offline; when the node comes back nothing moves back.
 */
describe("a worker node fails under a served hostname", () => {
  let s: ClusterScenario;
  let service: string;
  let serviceId: string;
  let hostname: string;
  let timeline: ServingTimeline | undefined;
  let dead: ClusterNode | undefined;
  let from: NodeAgent;
  let to: NodeAgent;
  let oldTunnel: string;
  let newTunnel: string;
  let deadAgentId: string;

  beforeAll(async () => {
    s = await ClusterScenario.start("failover");
    service = `web-app-${s.names.id}`;
    hostname = `failover-${s.names.id}.example.com`;
  });

  afterAll(async () => {
    timeline?.stop();
    // Whatever happened, the node runs again for the next file.
    if (dead && (await nodeState(s.cluster, dead).catch(() => "down")) !== "ready") {
      await startNode(s.cluster, dead);
    }
    await s?.close();
  });

  it("the task runs on a worker, whose agent's tunnel serves the hostname", async () => {
    ({ serviceId, from, to, tunnel: oldTunnel } = await s.serveFromWorker(service, hostname));
    expect(await s.connectorNode(from.id)).toBe(from.node.id);
  });

  it("kill that node: the task moves, the other worker's agent reports it, the hostname follows without a gap", async () => {
    timeline = new ServingTimeline(() => s.served(hostname));
    dead = from.node;
    deadAgentId = from.id;
    // The agent runs on the node: it stops with it (no last words to the master), then the
    // node's engine and every container on it are SIGKILLed.
    await from.stop();
    await killNode(dead);
    await s.movedTo(service, serviceId, to);
    await waitFor(async () => (await s.masterAgent(deadAgentId))?.status === "offline", {
      message: "the dead node's agent offline",
      timeoutMs: 60_000,
    });
    newTunnel = await s.servedBy(hostname, to.id);
    timeline.stop();
    expect(moveVerdict(describeMove(timeline.states, oldTunnel, newTunnel))).toBe("clean");
    expect(await s.connectorNode(to.id)).toBe(to.node.id);
    // The start moved the rule; the new owner's next status report counts its replicas.
    await waitFor(async () => (await s.rule(hostname))?.replicas === 1, { message: "1 replica" });
    expect(await s.rule(hostname)).toMatchObject({ agent_id: to.id, state: "active", replicas: 1 });
  });

  it("the node comes back: its agent is online again, and nothing moves back", async () => {
    await startNode(s.cluster, dead!);
    await from.start();
    // The same agent (its id kept in its data directory), on the same node.
    expect(await waitFor(() => from.agent?.agentId, { message: "agent registered again" })).toBe(
      deadAgentId,
    );
    timeline = new ServingTimeline(() => s.served(hostname));
    const online = await waitFor(
      async () => {
        const agent = await s.masterAgent(from.id);
        return agent?.status === "online" && Date.parse(agent.last_heartbeat);
      },
      { message: "agent online again", timeoutMs: 60_000 },
    );
    await s.twoMoreReports([from], online);
    timeline.stop();
    expect(describeMove(timeline.states, oldTunnel, newTunnel)).toEqual(["cname=new ingress=new"]);
    expect((await runningTasks(s.cluster, service)).map((t) => t.nodeId)).toEqual([to.node.id]);
    expect(from.taskIds(serviceId)).toEqual([]);
    expect(await s.rule(hostname)).toMatchObject({ agent_id: to.id, state: "active" });
  });
});
