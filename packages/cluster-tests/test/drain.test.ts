import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterNode, runningTasks } from "./helpers/cluster.ts";
import {
  ClusterScenario,
  describeMove,
  moveVerdict,
  type NodeAgent,
  ServingTimeline,
} from "./helpers/scenario.ts";

/**
 * A planned move: `docker node update --availability drain` on the worker that runs the task.
 * Its agent stays up and reports the task stopped; the other worker's agent reports the new task;
 * the hostname moves as after a failure, without a gap; making the node active again moves nothing.
 */
describe("draining the node that serves a hostname", () => {
  let s: ClusterScenario;
  let service: string;
  let serviceId: string;
  let hostname: string;
  let timeline: ServingTimeline | undefined;
  let drained: ClusterNode | undefined;
  let from: NodeAgent;
  let to: NodeAgent;
  let oldTunnel: string;
  let newTunnel: string;

  const availability = (node: ClusterNode, value: "drain" | "active") =>
    s.manager(["node", "update", "--availability", value, node.id]);

  beforeAll(async () => {
    s = await ClusterScenario.start("drain");
    service = `web-app-${s.names.id}`;
    hostname = `drain-${s.names.id}.example.com`;
  });

  afterAll(async () => {
    timeline?.stop();
    if (drained) await availability(drained, "active");
    await s?.close();
  });

  it("drain: the task moves to the other worker and the hostname follows without a gap", async () => {
    ({ serviceId, from, to, tunnel: oldTunnel } = await s.serveFromWorker(service, hostname));
    timeline = new ServingTimeline(() => s.served(hostname));
    drained = from.node;
    await availability(drained, "drain");
    await s.movedTo(service, serviceId, to);
    await waitFor(() => from.taskIds(serviceId).length === 0, {
      message: "the drained node's agent reports its task gone",
    });
    newTunnel = await s.servedBy(hostname, to.id);
    timeline.stop();
    expect(moveVerdict(describeMove(timeline.states, oldTunnel, newTunnel))).toBe("clean");
    // The start moved the rule; the new owner's next status report counts its replicas.
    await waitFor(async () => (await s.rule(hostname))?.replicas === 1, { message: "1 replica" });
    expect(await s.rule(hostname)).toMatchObject({ agent_id: to.id, state: "active", replicas: 1 });
    // A planned move: the drained node's agent stayed online throughout.
    expect((await s.masterAgent(from.id))?.status).toBe("online");
  });

  it("the node active again: nothing moves back", async () => {
    await availability(drained!, "active");
    timeline = new ServingTimeline(() => s.served(hostname));
    await s.twoMoreReports([from, to], Date.now());
    timeline.stop();
    expect(describeMove(timeline.states, oldTunnel, newTunnel)).toEqual(["cname=new ingress=new"]);
    expect((await runningTasks(s.cluster, service)).map((t) => t.nodeId)).toEqual([to.node.id]);
    expect(await s.rule(hostname)).toMatchObject({ agent_id: to.id, state: "active" });
  });
});
