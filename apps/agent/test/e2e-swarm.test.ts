import { dockerFor, removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../src/index.ts";
import {
  agentEnv,
  type LogCapture,
  STANDIN_IMAGE,
  startTestAgent,
  tempDataDir,
  uniqueNames,
} from "./helpers/agent.ts";
import { dockerCli } from "./helpers/cli.ts";
import { type MasterStack, startMasterStack } from "./helpers/stack.ts";

const swarmHost = process.env.TEST_SWARM_DOCKER_HOST;
if (!swarmHost) throw new Error("TEST_SWARM_DOCKER_HOST is not set: run through scripts/test.sh");
const docker = dockerFor(swarmHost);
const names = uniqueNames("e2e-swarm");
const service = `web-app-${names.id}`;
const hostname = `app-${names.id}.example.com`;
const appNetwork = `cloudflare-net-${names.id}`;

interface RuleView {
  hostname: string;
  service: string;
  source: string;
  state: string;
  replicas: number | null;
}

describe("Swarm agent with the real master and the Cloudflare stand-in", () => {
  let stack: MasterStack;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let agent: RunningAgent;
  let logs: LogCapture;
  let nodeId: string;
  let tunnelId: string;
  let serviceId: string;

  const rules = async () => (await stack.admin<{ rules: RuleView[] }>("GET", "/rules")).rules;

  beforeAll(async () => {
    nodeId = ((await docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    stack = await startMasterStack({ GRACE_PERIOD_SECONDS: "2", RECONCILE_INTERVAL_SECONDS: "2" });
    dataDir = await tempDataDir();
    ({ agent, logs } = await startTestAgent(
      agentEnv({
        masterUrl: stack.masterUrl,
        apiKey: stack.agentKey,
        dockerHost: swarmHost,
        scope: names.scopeLabel,
        names,
        dataDir: dataDir.path,
        env: { LOG_LEVEL: "info" },
      }),
    ));
    await dockerCli(swarmHost, [
      "network",
      "create",
      "--driver",
      "overlay",
      "--attachable",
      "--label",
      `${TEST_LABEL}=${testRunId}`,
      appNetwork,
    ]);
  });

  afterAll(async () => {
    await agent?.close();
    await stack?.close();
    await removeLabelled(docker);
    await dataDir?.remove();
  });

  it("docker service create (seed 2.1): tunnel, pinned connector service, ingress rule and CNAME", async () => {
    const agentId = await waitFor(() => agent.agentId, { message: "registration" });
    serviceId = await dockerCli(swarmHost, [
      "service",
      "create",
      "--detach",
      "--quiet",
      "--name",
      service,
      "--label",
      "dockflare.enable=true",
      "--label",
      `dockflare.domain=${hostname}`,
      "--label",
      "dockflare.port=8080",
      "--label",
      `${TEST_LABEL}=${testRunId}`,
      "--label",
      names.scopeLabel,
      "--container-label",
      `${TEST_LABEL}=${testRunId}`,
      "--network",
      appNetwork,
      "--replicas",
      "3",
      "--stop-grace-period",
      "1s",
      "dockflow-base/busybox:local",
      "sleep",
      "3600",
    ]);
    const tunnels = async () =>
      (
        await stack.admin<{ tunnels: { agent_id: string; tunnel_id: string | null }[] }>(
          "GET",
          "/tunnels",
        )
      ).tunnels;
    tunnelId = await waitFor(
      async () => (await tunnels()).find((t) => t.agent_id === agentId)?.tunnel_id ?? undefined,
      { message: "tunnel created" },
    );
    const token = await stack.tunnelToken(tunnelId);
    const connector = await waitFor(
      async () => {
        const tasks = (await docker.listTasks({
          filters: JSON.stringify({ service: [names.connector], "desired-state": ["running"] }),
        })) as { NodeID: string; Status: { State: string } }[];
        return tasks.find((t) => t.Status.State === "running");
      },
      { message: "connector task running", timeoutMs: 60_000 },
    );
    expect(connector.NodeID).toBe(nodeId);
    const spec = (
      (await docker.getService(names.connector).inspect()) as {
        Spec: {
          TaskTemplate: {
            ContainerSpec: { Image: string; Args: string[]; Env: string[] };
            Placement: { Constraints: string[] };
          };
        };
      }
    ).Spec.TaskTemplate;
    expect(spec.ContainerSpec).toMatchObject({
      Image: STANDIN_IMAGE,
      Args: ["tunnel", "--no-autoupdate", "run"],
      Env: [`TUNNEL_TOKEN=${token}`],
    });
    expect(spec.Placement.Constraints).toEqual([`node.id==${nodeId}`]);

    await waitFor(() => stack.ingress(tunnelId).find((r) => r.hostname === hostname), {
      message: "ingress rule live",
    });
    expect(stack.ingress(tunnelId)).toContainEqual(
      expect.objectContaining({ hostname, service: `http://${service}:8080` }),
    );
    expect(await waitFor(() => stack.cname(hostname), { message: "CNAME" })).toMatchObject({
      content: `${tunnelId}.cfargotunnel.com`,
    });
    const [rule] = (await rules()).filter((r) => r.hostname === hostname);
    expect(rule?.source).toBe(`service:${serviceId}`);
  });

  it("docker service scale to 6: the master sees 6 replicas on this node", async () => {
    await dockerCli(swarmHost, ["service", "scale", "--detach", `${service}=6`]);
    await waitFor(
      async () => (await rules()).find((r) => r.hostname === hostname && r.replicas === 6),
      { message: "rule with 6 replicas" },
    );
    expect(agent.workloads().filter((w) => w.service_id === serviceId)).toHaveLength(6);
    expect(stack.ingress(tunnelId).filter((r) => r.hostname === hostname)).toHaveLength(1);
  });

  it("docker service rm: after the grace period the rule and the record are gone", async () => {
    await dockerCli(swarmHost, ["service", "rm", service]);
    await waitFor(
      async () =>
        !stack.ingress(tunnelId).some((r) => r.hostname === hostname) &&
        !stack.cname(hostname) &&
        !(await rules()).some((r) => r.hostname === hostname),
      { message: "rule and CNAME removed" },
    );
    expect(agent.workloads().filter((w) => w.service_id === serviceId)).toHaveLength(0);
    expect(logs.includes(await stack.tunnelToken(tunnelId))).toBe(false);
  });
});
