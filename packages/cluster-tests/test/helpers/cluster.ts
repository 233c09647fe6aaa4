import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { dockerFor, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import type Docker from "dockerode";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url));

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run through scripts/test.sh (or scripts/cluster.sh up)`);
  return value;
}

/** One engine of the cluster that scripts/cluster.sh started. */
export interface ClusterNode {
  /** The script's name for it: n1 (the manager), n2, n3. */
  name: string;
  host: string;
  docker: Docker;
  /** Swarm node id. */
  id: string;
  hostname: string;
  role: "manager" | "worker";
}

export interface Cluster {
  nodes: ClusterNode[];
  manager: ClusterNode;
  workers: ClusterNode[];
  /** The attachable overlay network the script made (connectors and workloads join it). */
  network: string;
  /** The host's address on the cluster's bridge (where a service on the host is reachable from the nodes). */
  hostAddress: string;
  byId(id: string): ClusterNode;
}

export async function connectCluster(): Promise<Cluster> {
  const hosts = required("TEST_CLUSTER_NODES").split(",");
  const nodes = await Promise.all(
    hosts.map(async (host, i): Promise<ClusterNode> => {
      const docker = dockerFor(host);
      const info = (await docker.info()) as {
        Name: string;
        Swarm: { NodeID: string; ControlAvailable: boolean };
      };
      return {
        name: `n${i + 1}`,
        host,
        docker,
        id: info.Swarm.NodeID,
        hostname: info.Name,
        role: info.Swarm.ControlAvailable ? "manager" : "worker",
      };
    }),
  );
  const manager = nodes.find((n) => n.role === "manager");
  if (!manager) throw new Error("the cluster has no manager");
  return {
    nodes,
    manager,
    workers: nodes.filter((n) => n.role === "worker"),
    network: required("TEST_CLUSTER_NETWORK"),
    hostAddress: required("TEST_CLUSTER_HOST_ADDRESS"),
    byId(id) {
      const node = nodes.find((n) => n.id === id);
      if (!node) throw new Error(`no cluster node ${id}`);
      return node;
    },
  };
}

async function clusterScript(...args: string[]): Promise<void> {
  await run("bash", [`${repoRoot}/scripts/cluster.sh`, ...args], {
    env: { ...process.env, DOCKFLOW_CLUSTER_DIR: required("TEST_CLUSTER_DIR") },
  });
}

/** The manager's view of a node: ready, down, unknown... */
export async function nodeState(cluster: Cluster, node: ClusterNode): Promise<string> {
  const info = (await cluster.manager.docker.getNode(node.id).inspect()) as {
    Status: { State: string };
  };
  return info.Status.State;
}

/** A node failure: the node's engine, containerd and every container on it SIGKILLed at once. */
export async function killNode(node: ClusterNode): Promise<void> {
  await clusterScript("kill", node.name);
}

/** Starts the node's engine again and waits until the manager sees it ready. */
export async function startNode(cluster: Cluster, node: ClusterNode): Promise<void> {
  await clusterScript("start", node.name);
  await waitFor(async () => (await nodeState(cluster, node)) === "ready", {
    message: `${node.name} ready again`,
    timeoutMs: 60_000,
  });
}

export interface TaskView {
  id: string;
  nodeId: string;
  state: string;
}

/** The service's tasks that run now (`docker service ps --filter desired-state=running`, running). */
export async function runningTasks(cluster: Cluster, service: string): Promise<TaskView[]> {
  const tasks = (await cluster.manager.docker.listTasks({
    filters: JSON.stringify({ service: [service], "desired-state": ["running"] }),
  })) as { ID: string; NodeID: string; Status: { State: string } }[];
  return tasks
    .filter((t) => t.Status.State === "running")
    .map((t) => ({ id: t.ID, nodeId: t.NodeID, state: t.Status.State }));
}

/**
 * `docker service create` arguments for a sleeping busybox service labelled as in seed 2.1
 * (port 8080) on the service and, for agents on workers (which cannot read services), on its task
 * containers, on `network`, carrying this run's test label; `extra` goes before the image.
 */
export function labelledServiceArgs(options: {
  name: string;
  hostname: string;
  network: string;
  labels?: string[];
  extra?: string[];
}): string[] {
  const labels = [
    "dockflare.enable=true",
    `dockflare.domain=${options.hostname}`,
    "dockflare.port=8080",
    `${TEST_LABEL}=${testRunId}`,
    ...(options.labels ?? []),
  ];
  return [
    "service",
    "create",
    "--detach",
    "--quiet",
    "--name",
    options.name,
    ...labels.flatMap((l) => ["--label", l, "--container-label", l]),
    "--network",
    options.network,
    "--stop-grace-period",
    "1s",
    ...(options.extra ?? []),
    "dockflow-base/busybox:local",
    "sleep",
    "3600",
  ];
}
