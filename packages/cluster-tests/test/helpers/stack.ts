import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import type { Cluster } from "./cluster.ts";

const run = promisify(execFile);
const stackFile = fileURLToPath(new URL("../../../../docker/stack.yaml", import.meta.url));

export const ADMIN_TOKEN = "stack-admin-token-0123456789abcdef";
export const SANDBOX_TOKEN = "dockflow-sandbox-token";
export const SANDBOX_ACCOUNT = "5a4db0c8f1e24b4fa6c1a7e1d0c0ffee";
const SANDBOX_PORT = 18787;
const MASTER_PORT = 18080;

/** Secret name -> content, created before the deploy (docker/stack.yaml names them). */
function secrets(): Record<string, string> {
  const password = `pw${testRunId.replace(/[^a-z0-9]/gi, "")}`;
  return {
    dockflow_postgres_password: password,
    dockflow_database_url: `postgres://dockflow:${password}@postgres:5432/dockflow`,
    dockflow_admin_token: ADMIN_TOKEN,
    dockflow_cloudflare_token: SANDBOX_TOKEN,
  };
}

/**
 * docker/stack.yaml deployed with `docker stack deploy` on the cluster's manager, from the images
 * loaded into every node, with the Cloudflare stand-in as a service on the stack's network. The
 * kernel here has no IPVS, so services use DNS round robin and host-mode ports (DOCKFLOW_ENDPOINT_MODE,
 * MASTER_PUBLISH_MODE); each agent mounts its own node's engine socket (scripts/cluster.sh links
 * it under the node's host name).
 */
export class DeployedStack {
  readonly namespace = `dft${testRunId.replace(/[^a-z0-9]/gi, "").slice(-8)}`;
  readonly network = `${this.namespace}-net`;

  constructor(private readonly cluster: Cluster) {}

  /** `docker <args>` against the manager, with `input` on stdin and `env` added. */
  docker(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
    const child = run("docker", args, {
      env: { ...process.env, ...options.env, DOCKER_HOST: this.cluster.manager.host },
      maxBuffer: 10 * 1024 * 1024,
    });
    child.child.stdin?.end(options.input ?? "");
    return child.then(({ stdout }) => stdout.trim());
  }

  async deploy(): Promise<void> {
    for (const [name, content] of Object.entries(secrets())) {
      const label = `${TEST_LABEL}=${testRunId}`;
      await this.docker(["secret", "create", "--label", label, name, "-"], { input: content });
    }
    await this.docker(["stack", "deploy", "-c", stackFile, this.namespace], { env: this.env() });
    await this.docker([
      "service",
      "create",
      "--detach",
      "--quiet",
      "--name",
      "cloudflare-sandbox",
      "--label",
      `${TEST_LABEL}=${testRunId}`,
      "--network",
      this.network,
      "--endpoint-mode",
      "dnsrr",
      "--constraint",
      "node.role==manager",
      "--publish",
      `mode=host,target=8787,published=${SANDBOX_PORT}`,
      "--env",
      "CF_SANDBOX_HOST=0.0.0.0",
      "--env",
      "CF_SANDBOX_RATE_LIMIT=0",
      "dockflow/cloudflare-sandbox:local",
    ]);
  }

  /** The environment `docker stack deploy` reads docker/stack.yaml's variables from. */
  env(): Record<string, string> {
    return {
      POSTGRES_IMAGE: "dockflow/postgres-local:local",
      DOCKFLOW_MASTER_IMAGE: "dockflow/master:local",
      DOCKFLOW_AGENT_IMAGE: "dockflow/agent:local",
      CLOUDFLARE_ACCOUNT_ID: SANDBOX_ACCOUNT,
      CLOUDFLARE_BASE_URL: "http://cloudflare-sandbox:8787/client/v4",
      CLOUDFLARED_IMAGE: "dockflow/cloudflared-standin:local",
      DOCKFLOW_NETWORK: this.network,
      DOCKFLOW_ENDPOINT_MODE: "dnsrr",
      MASTER_PUBLISH_MODE: "host",
      MASTER_PUBLISH_PORT: String(MASTER_PORT),
      DOCKER_SOCKET: `${process.env.TEST_CLUSTER_DIR}/{{.Node.Hostname}}/docker.sock`,
      AGENT_REPORT_INTERVAL_SECONDS: "1",
      // Above the agent's 15 s request timeout: a request caught on a killed master's connection
      // waits that long before it is retried, and the agent is not offline meanwhile.
      AGENT_OFFLINE_AFTER_SECONDS: "30",
      AGENT_CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
      LOG_LEVEL: "info",
    };
  }

  /** Base URLs of the masters running now (host-mode ports on the nodes that run them). */
  async masterUrls(): Promise<string[]> {
    const tasks = (await this.cluster.manager.docker.listTasks({
      filters: JSON.stringify({
        service: [`${this.namespace}_master`],
        "desired-state": ["running"],
      }),
    })) as { NodeID: string; Status: { State: string } }[];
    const addresses = (process.env.TEST_CLUSTER_ADDRESSES ?? "").split(",");
    return tasks
      .filter((t) => t.Status.State === "running")
      .map((t) => {
        const index = this.cluster.nodes.indexOf(this.cluster.byId(t.NodeID));
        return `http://${addresses[index]}:${MASTER_PORT}`;
      });
  }

  /** An admin request to one of the running masters (the first that answers). */
  async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    let last: unknown;
    for (const url of await this.masterUrls()) {
      try {
        const response = await fetch(`${url}/api/v2${path}`, {
          method,
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(5000),
        });
        if (response.ok) return (await response.json()) as T;
        last = new Error(`${method} ${path}: ${response.status}`);
      } catch (error) {
        last = error;
      }
    }
    throw last ?? new Error("no master runs");
  }

  /** A Cloudflare API call to the stand-in (published on the manager). */
  async cloudflare<T>(path: string): Promise<T> {
    const address = (process.env.TEST_CLUSTER_ADDRESSES ?? "").split(",")[0];
    const response = await fetch(`http://${address}:${SANDBOX_PORT}/client/v4${path}`, {
      headers: { authorization: `Bearer ${SANDBOX_TOKEN}` },
      signal: AbortSignal.timeout(5000),
    });
    return ((await response.json()) as { result: T }).result;
  }

  /** SQL on the stack's PostgreSQL, through psql in its container (tab-separated rows). */
  async sql(query: string): Promise<string[][]> {
    const task = await waitFor(
      async () => {
        const tasks = (await this.cluster.manager.docker.listTasks({
          filters: JSON.stringify({
            service: [`${this.namespace}_postgres`],
            "desired-state": ["running"],
          }),
        })) as { NodeID: string; Status: { ContainerStatus?: { ContainerID?: string } } }[];
        const id = tasks[0]?.Status.ContainerStatus?.ContainerID;
        return id ? { node: tasks[0]!.NodeID, id } : undefined;
      },
      { message: "postgres task" },
    );
    const node = this.cluster.byId(task.node);
    const { stdout } = await run(
      "docker",
      ["exec", task.id, "psql", "-U", "dockflow", "-d", "dockflow", "-AtF", "\t", "-c", query],
      { env: { ...process.env, DOCKER_HOST: node.host } },
    );
    return stdout
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split("\t"));
  }

  async remove(): Promise<void> {
    const label = `label=${TEST_LABEL}=${testRunId}`;
    await this.docker(["stack", "rm", this.namespace]).catch(() => undefined);
    await this.docker(["service", "rm", "cloudflare-sandbox"]).catch(() => undefined);
    // What the agents made (connector services and containers, labelled through CONNECTOR_LABELS)
    // and the test's own services.
    for (const node of this.cluster.nodes) await removeLabelled(node.docker).catch(() => undefined);
    // Tasks leave asynchronously; then the stack's network, the secrets and, on every node, the
    // stack's containers (agent-key one-shots, connectors) and volumes.
    await waitFor(
      async () =>
        await this.docker(["network", "rm", this.network]).then(
          () => true,
          async (error: Error) => /not found/.test(error.message),
        ),
      { message: "stack network removed", timeoutMs: 60_000, intervalMs: 500 },
    ).catch(() => undefined);
    const ids = await this.docker(["secret", "ls", "-q", "--filter", label]);
    if (ids) await this.docker(["secret", "rm", ...ids.split("\n")]).catch(() => undefined);
    for (const node of this.cluster.nodes) {
      const filters = JSON.stringify({ label: [`com.docker.stack.namespace=${this.namespace}`] });
      for (const c of await node.docker.listContainers({ all: true, filters })) {
        await node.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
      const { Volumes } = await node.docker.listVolumes({ filters });
      for (const v of Volumes ?? []) {
        await node.docker
          .getVolume(v.Name)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }
  }
}
