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
import { FakeMaster } from "./helpers/fake-master.ts";

const swarmHost = process.env.TEST_SWARM_DOCKER_HOST;
if (!swarmHost) throw new Error("TEST_SWARM_DOCKER_HOST is not set: run through scripts/test.sh");
const docker = dockerFor(swarmHost);
const names = uniqueNames("swarm");
const TOKEN = `swarm-token-${names.id}-secret`;
const service = `web-app-${names.id}`;
const appNetwork = `cloudflare-net-${names.id}`;

describe("Swarm agent against a recording master", () => {
  const master = new FakeMaster();
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let agent: RunningAgent;
  let logs: LogCapture;
  let nodeId: string;

  beforeAll(async () => {
    nodeId = ((await docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    await master.listen();
    dataDir = await tempDataDir();
    ({ agent, logs } = await startTestAgent(
      agentEnv({
        masterUrl: master.url,
        apiKey: master.apiKey,
        dockerHost: swarmHost,
        scope: names.scopeLabel,
        names,
        dataDir: dataDir.path,
      }),
    ));
  });

  afterAll(async () => {
    await agent?.close();
    await master.close();
    await removeLabelled(docker);
    await dataDir?.remove();
  });

  it("detects Swarm mode and registers with its node id and role", async () => {
    expect(agent.mode).toMatchObject({ mode: "swarm", nodeId, nodeRole: "manager" });
    await waitFor(() => agent.agentId, { message: "registration" });
    expect(master.registrations[0]).toMatchObject({
      mode: "swarm",
      node_info: { node_id: nodeId, node_role: "manager" },
    });
  });

  it("reports the tasks of a labelled service on its node (create, scale to 6, remove)", async () => {
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
    const [scopeKey] = names.scopeLabel.split("=");
    // Seed 2.1, with the test's labels and a local image.
    const serviceId = await dockerCli(swarmHost, [
      "service",
      "create",
      "--detach",
      "--quiet",
      "--name",
      service,
      "--label",
      "dockflare.enable=true",
      "--label",
      `dockflare.domain=app-${names.id}.example.com`,
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
    const startsOf = () =>
      master.eventsOf("container_start").filter((e) => e.container.service_id === serviceId);
    const tasksNow = async () =>
      JSON.stringify(
        (
          (await docker.listTasks({ filters: JSON.stringify({ service: [service] }) })) as {
            Status: { State: string };
          }[]
        ).map((t) => t.Status.State),
      );
    await waitFor(
      async () => {
        if (startsOf().length === 3) return true;
        throw new Error(
          `${startsOf().length} starts reported; tasks ${await tasksNow()}; agent warnings: ${logs.lines
            .filter((l) => /"level":(40|50)/.test(l))
            .slice(-5)
            .join(" ")}`,
        );
      },
      { message: "3 task starts", timeoutMs: 90_000 },
    );
    for (const event of startsOf()) {
      expect(event).toMatchObject({
        mode: "swarm",
        container: {
          name: service,
          status: "running",
          service_id: serviceId,
          node_id: nodeId,
          labels: {
            "dockflare.enable": "true",
            "dockflare.domain": `app-${names.id}.example.com`,
            "dockflare.port": "8080",
            [scopeKey!]: names.scopeLabel.split("=")[1],
          },
        },
      });
      expect(event.container.task_id).toBeTruthy();
      expect(event.container.id).toBeTruthy();
    }

    await dockerCli(swarmHost, ["service", "scale", "--detach", `${service}=6`]);
    await waitFor(() => startsOf().length === 6, { message: "6 task starts", timeoutMs: 90_000 });
    expect(new Set(startsOf().map((e) => e.container.task_id)).size).toBe(6);
    const report = await waitFor(
      () =>
        master
          .eventsOf("status_report")
          .find(
            (e) => e.container.containers.filter((c) => c.service_id === serviceId).length === 6,
          ),
      { message: "status report with 6 tasks" },
    );
    expect(report.container.containers.every((c) => c.node_id === nodeId)).toBe(true);

    await dockerCli(swarmHost, ["service", "rm", service]);
    await waitFor(
      () =>
        master.eventsOf("container_stop").filter((e) => e.container.service_id === serviceId)
          .length === 6,
      { message: "6 task stops" },
    );
    expect(startsOf()).toHaveLength(6);
  });

  it("runs the connector as a one-replica service pinned to its node (seed 3.4)", async () => {
    const command = master.enqueue({
      action: "start_tunnel",
      tunnel_id: "tunnel_swarm",
      tunnel_name: "tunnel-swarm",
      token: TOKEN,
      rules: { [`app-${names.id}.example.com`]: { service, port: 8080 } },
    });
    const [ack] = await waitFor(
      () => (master.results(command.id).length ? master.results(command.id) : undefined),
      { message: "start_tunnel ack", timeoutMs: 60_000 },
    );
    expect(ack).toMatchObject({ success: true, result: { status: "running" } });

    const connector = (await docker.getService(names.connector).inspect()) as {
      ID: string;
      Spec: {
        Mode: unknown;
        TaskTemplate: {
          ContainerSpec: { Image: string; Args: string[]; Env: string[]; Command?: string[] };
          Placement: { Constraints: string[] };
          RestartPolicy: { Condition: string };
          Networks: { Target: string }[];
        };
      };
    };
    const template = connector.Spec.TaskTemplate;
    expect(template.ContainerSpec.Image).toBe(STANDIN_IMAGE);
    expect(template.ContainerSpec.Args).toEqual(["tunnel", "--no-autoupdate", "run"]);
    expect(template.ContainerSpec.Command).toBeUndefined();
    expect(template.ContainerSpec.Env).toEqual([`TUNNEL_TOKEN=${TOKEN}`]);
    expect(template.Placement.Constraints).toEqual([`node.id==${nodeId}`]);
    expect(template.RestartPolicy.Condition).toBe("any");
    expect(connector.Spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    const network = (await docker.getNetwork(names.network).inspect()) as {
      Id: string;
      Driver: string;
    };
    expect(network.Driver).toBe("overlay");
    expect(template.Networks.map((n) => n.Target)).toEqual([network.Id]);

    const status = await waitFor(
      () => master.eventsOf("tunnel_status").find((e) => e.container.status === "running"),
      { message: "tunnel_status running" },
    );
    expect(status.container).toMatchObject({
      name: names.connector,
      mode: "swarm",
      service_id: connector.ID,
      node_id: nodeId,
    });
    expect(status.container.task_id).toBeTruthy();
    expect(logs.includes(TOKEN)).toBe(false);
  });

  it("stop_tunnel removes the connector service", async () => {
    const stop = master.enqueue({ action: "stop_tunnel", tunnel_id: "tunnel_swarm" });
    await waitFor(() => master.results(stop.id)[0]?.success, { message: "stop ack" });
    await expect(docker.getService(names.connector).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(master.invalid).toEqual([]);
  });
});
