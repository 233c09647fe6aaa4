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
  CLEAN_MOVE,
  ClusterScenario,
  describeMove,
  type NodeAgent,
  ServingTimeline,
} from "./helpers/scenario.ts";

/**
 * Seed 6 for real: the worker running the task that serves a hostname dies (its engine, its
 * containers and its agent SIGKILLed/stopped at once). Swarm reschedules the task on the other
 * worker, whose agent reports it; the hostname moves to that agent's tunnel without a moment
 * where the CNAME is missing; the dead node's agent goes offline; when the node comes back
 * nothing moves back.
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
    serviceId = await s.createService(service, hostname, 1, ["--constraint", "node.role==worker"]);
    const [task] = await waitFor(
      async () => {
        const tasks = await runningTasks(s.cluster, service);
        return tasks.length === 1 && tasks;
      },
      { message: "task running", timeoutMs: 60_000 },
    );
    from = s.agentOn(s.cluster.byId(task!.nodeId));
    to = s.agents.find((a) => a.node.role === "worker" && a !== from)!;
    await waitFor(() => from.taskIds(serviceId).length === 1, { message: "task reported" });
    oldTunnel = await s.servedBy(hostname, from.id);
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
    const [task] = await waitFor(
      async () => {
        const tasks = await runningTasks(s.cluster, service);
        return tasks.length === 1 && tasks[0]!.nodeId === to.node.id && tasks;
      },
      { message: "task rescheduled on the other worker", timeoutMs: 120_000 },
    );
    await waitFor(() => to.taskIds(serviceId).join() === task!.id, {
      message: "the other worker's agent reports the task",
    });
    await waitFor(
      async () =>
        (await s.masterAgents()).find((a) => a.agent_id === deadAgentId)?.status === "offline",
      { message: "the dead node's agent offline", timeoutMs: 60_000 },
    );
    newTunnel = await s.servedBy(hostname, to.id);
    timeline.stop();
    expect(describeMove(timeline.states, oldTunnel, newTunnel)).toEqual(CLEAN_MOVE);
    expect(await s.connectorNode(to.id)).toBe(to.node.id);
    expect(await s.rule(hostname)).toMatchObject({ agent_id: to.id, state: "active", replicas: 1 });
  });

  it("the node comes back: its agent is online again, and nothing moves back", async () => {
    await startNode(s.cluster, dead!);
    await from.start();
    // The same agent (its id kept in its data directory), on the same node.
    const back = await waitFor(() => from.agent?.agentId, { message: "agent registered again" });
    expect(back).toBe(deadAgentId);
    timeline = new ServingTimeline(() => s.served(hostname));
    const online = await waitFor(
      async () => {
        const agent = await s.masterAgent(from.id);
        return agent?.status === "online" && Date.parse(agent.last_heartbeat);
      },
      { message: "agent online again", timeoutMs: 60_000 },
    );
    // Two more heartbeats and status reports (one a second) from the returned agent.
    await waitFor(
      async () => Date.parse((await s.masterAgent(from.id))?.last_heartbeat ?? "") >= online + 2000,
      { message: "two more reports from the returned agent", timeoutMs: 60_000 },
    );
    timeline.stop();
    expect(describeMove(timeline.states, oldTunnel, newTunnel)).toEqual(["cname=new ingress=new"]);
    expect((await runningTasks(s.cluster, service)).map((t) => t.nodeId)).toEqual([to.node.id]);
    expect(from.taskIds(serviceId)).toEqual([]);
    expect(await s.rule(hostname)).toMatchObject({ agent_id: to.id, state: "active" });
  });
});
