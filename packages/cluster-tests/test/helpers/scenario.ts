import type { RunningAgent } from "@dockflow/agent";
import {
  agentEnv,
  LogCapture,
  startTestAgent,
  tempDataDir,
  uniqueNames,
} from "@dockflow/agent/testing/agent";
import { dockerCli } from "@dockflow/agent/testing/cli";
import { type MasterStack, startMasterStack } from "@dockflow/agent/testing/stack";
import { removeLabelled, waitFor } from "@dockflow/testkit";
import {
  type Cluster,
  type ClusterNode,
  connectCluster,
  labelledServiceArgs,
  runningTasks,
} from "./cluster.ts";

/** The master's view of a rule (GET /rules). */
export interface RuleView {
  hostname: string;
  agent_id: string;
  source: string;
  state: string;
  replicas: number | null;
}

export interface AgentView {
  agent_id: string;
  status: string;
  node_id: string | null;
  node_role: string | null;
  last_heartbeat: string;
}

/** The agent that runs "on" a node: in this process, talking to that node's engine. */
export class NodeAgent {
  agent: RunningAgent | undefined;
  logs = new LogCapture("info");

  constructor(
    readonly node: ClusterNode,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.logs = new LogCapture("info");
    ({ agent: this.agent } = await startTestAgent(this.env, this.logs));
  }

  /** The agent stops with its node (killed or drained away); its data dir stays for a restart. */
  async stop(): Promise<void> {
    await this.agent?.close();
    this.agent = undefined;
  }

  get id(): string {
    const id = this.agent?.agentId;
    if (!id) throw new Error(`the agent on ${this.node.name} is not registered`);
    return id;
  }

  /** Service task ids this agent reports (its workloads). */
  taskIds(serviceId: string): string[] {
    return (this.agent?.workloads() ?? [])
      .filter((w) => w.service_id === serviceId)
      .map((w) => w.task_id ?? "")
      .sort();
  }
}

/**
 * The real master (in this process, on a per-file PostgreSQL database, the Cloudflare stand-in as
 * its API) and one agent per cluster node, each reporting what runs on its own engine. Agents
 * report every second; the master calls an agent offline after 5 s of silence (tests only).
 */
export class ClusterScenario {
  readonly names;
  readonly agents: NodeAgent[];
  private readonly dataDirs: { remove(): Promise<void> }[];

  private constructor(
    readonly cluster: Cluster,
    readonly stack: MasterStack,
    names: ReturnType<typeof uniqueNames>,
    agents: NodeAgent[],
    dataDirs: { remove(): Promise<void> }[],
  ) {
    this.names = names;
    this.agents = agents;
    this.dataDirs = dataDirs;
  }

  static async start(tag: string): Promise<ClusterScenario> {
    const cluster = await connectCluster();
    const stack = await startMasterStack({
      AGENT_OFFLINE_AFTER_SECONDS: "5",
      GRACE_PERIOD_SECONDS: "120",
    });
    const names = uniqueNames(tag);
    const dataDirs = await Promise.all(cluster.nodes.map(() => tempDataDir()));
    // A key per agent: the master binds a key to the agent that registers with it.
    const keys = await Promise.all(
      cluster.nodes.map(
        async (node) =>
          (await stack.admin<{ key: string }>("POST", "/keys", { name: `agent on ${node.name}` }))
            .key,
      ),
    );
    const agents = cluster.nodes.map(
      (node, i) =>
        new NodeAgent(
          node,
          agentEnv({
            masterUrl: stack.masterUrl,
            apiKey: keys[i]!,
            dockerHost: node.host,
            scope: names.scopeLabel,
            names,
            dataDir: dataDirs[i]!.path,
            env: {
              REPORT_INTERVAL_SECONDS: "1",
              CLOUDFLARED_NETWORK: cluster.network,
              AGENT_DISPLAY_NAME: node.hostname,
              LOG_LEVEL: "info",
            },
          }),
        ),
    );
    await Promise.all(agents.map((a) => a.start()));
    await waitFor(() => agents.every((a) => a.agent?.agentId), { message: "agents registered" });
    return new ClusterScenario(cluster, stack, names, agents, dataDirs);
  }

  agentOn(node: ClusterNode): NodeAgent {
    const agent = this.agents.find((a) => a.node === node);
    if (!agent) throw new Error(`no agent on ${node.name}`);
    return agent;
  }

  agentById(agentId: string): NodeAgent {
    const agent = this.agents.find((a) => a.agent?.agentId === agentId);
    if (!agent) throw new Error(`no running agent ${agentId}`);
    return agent;
  }

  /**
   * `docker service create` on the manager, labelled as in seed 2.1 on the service and (for the
   * agents on workers, which cannot read services) on its task containers, on the cluster's overlay.
   */
  async createService(name: string, hostname: string, replicas: number, extra: string[] = []) {
    return dockerCli(
      this.cluster.manager.host,
      labelledServiceArgs({
        name,
        hostname,
        network: this.cluster.network,
        labels: [this.names.scopeLabel],
        extra: ["--replicas", String(replicas), ...extra],
      }),
    );
  }

  /**
   * A one-replica labelled service on a worker: returns the agent on that worker (`from`), whose
   * tunnel serves the hostname, and the agent on the other worker (`to`).
   */
  async serveFromWorker(service: string, hostname: string) {
    const serviceId = await this.createService(service, hostname, 1, [
      "--constraint",
      "node.role==worker",
    ]);
    const [task] = await waitFor(
      async () => {
        const tasks = await runningTasks(this.cluster, service);
        return tasks.length === 1 && tasks;
      },
      { message: "task running", timeoutMs: 60_000 },
    );
    const from = this.agentOn(this.cluster.byId(task!.nodeId));
    const to = this.agents.find((a) => a.node.role === "worker" && a !== from)!;
    await waitFor(() => from.taskIds(serviceId).length === 1, { message: "task reported" });
    const tunnel = await this.servedBy(hostname, from.id);
    return { serviceId, from, to, tunnel };
  }

  /** Waits until the service's one task runs on `to`'s node and `to` reports it; returns its id. */
  async movedTo(service: string, serviceId: string, to: NodeAgent): Promise<string> {
    const [task] = await waitFor(
      async () => {
        const tasks = await runningTasks(this.cluster, service);
        return tasks.length === 1 && tasks[0]!.nodeId === to.node.id && tasks;
      },
      { message: `task rescheduled on ${to.node.name}`, timeoutMs: 120_000 },
    );
    await waitFor(() => to.taskIds(serviceId).join() === task!.id, {
      message: `${to.node.name}'s agent reports the task`,
    });
    return task!.id;
  }

  /** Waits until each agent's heartbeat in the master is at least 2 s (two reports) past `since`. */
  async twoMoreReports(agents: NodeAgent[], since: number): Promise<void> {
    await waitFor(
      async () => {
        const beats = await Promise.all(
          agents.map(async (a) => Date.parse((await this.masterAgent(a.id))?.last_heartbeat ?? "")),
        );
        return beats.every((b) => b >= since + 2000);
      },
      { message: "two more reports", timeoutMs: 60_000 },
    );
  }

  /** `docker <args>` against the manager. */
  manager(args: string[]): Promise<string> {
    return dockerCli(this.cluster.manager.host, args);
  }

  async rules(): Promise<RuleView[]> {
    return (await this.stack.admin<{ rules: RuleView[] }>("GET", "/rules")).rules;
  }

  async rule(hostname: string): Promise<RuleView | undefined> {
    return (await this.rules()).find((r) => r.hostname === hostname);
  }

  async masterAgents(): Promise<AgentView[]> {
    return (await this.stack.admin<{ agents: AgentView[] }>("GET", "/agents")).agents;
  }

  async masterAgent(agentId: string): Promise<AgentView | undefined> {
    return (await this.masterAgents()).find((a) => a.agent_id === agentId);
  }

  /** The Cloudflare tunnel id of an agent. */
  async tunnelOf(agentId: string): Promise<string> {
    return waitFor(
      async () =>
        (
          await this.stack.admin<{ tunnels: { agent_id: string; tunnel_id: string | null }[] }>(
            "GET",
            "/tunnels",
          )
        ).tunnels.find((t) => t.agent_id === agentId)?.tunnel_id ?? undefined,
      { message: `tunnel of ${agentId}`, timeoutMs: 60_000 },
    );
  }

  /** Which tunnels carry `hostname` in their ingress now, and where its CNAME points. */
  served(hostname: string): { cname: string | undefined; ingress: string[] } {
    const content = this.stack.cname(hostname)?.content;
    const ingress = [...this.stack.sandbox.state.configurations.keys()].filter((tunnelId) =>
      this.stack.ingress(tunnelId).some((r) => r.hostname === hostname),
    );
    return { cname: content?.replace(/\.cfargotunnel\.com$/, ""), ingress: ingress.sort() };
  }

  /** Waits until the hostname is served by `agentId`'s tunnel alone: ingress and CNAME. */
  async servedBy(hostname: string, agentId: string): Promise<string> {
    const tunnelId = await this.tunnelOf(agentId);
    await waitFor(
      () => {
        const now = this.served(hostname);
        return now.cname === tunnelId && now.ingress.join() === tunnelId;
      },
      { message: `${hostname} served through ${agentId}'s tunnel only`, timeoutMs: 90_000 },
    );
    return tunnelId;
  }

  /** Where `agentId`'s connector runs: the node its task or container is on, once running. */
  async connectorNode(agentId: string): Promise<string> {
    const agent = this.agentById(agentId);
    const docker = agent.node.docker;
    return waitFor(
      async () => {
        if (agent.node.role === "manager") {
          const tasks = (await docker.listTasks({
            filters: JSON.stringify({
              service: [this.names.connector],
              "desired-state": ["running"],
            }),
          })) as { NodeID: string; Status: { State: string } }[];
          return tasks.find((t) => t.Status.State === "running")?.NodeID;
        }
        const info = (await docker.getContainer(this.names.connector).inspect()) as {
          State: { Running: boolean };
        };
        return info.State.Running ? agent.node.id : undefined;
      },
      { message: `connector of ${agentId} running`, timeoutMs: 60_000 },
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    await this.stack.close();
    for (const node of this.cluster.nodes) {
      await removeLabelled(node.docker).catch(() => undefined);
    }
    await Promise.all(this.dataDirs.map((d) => d.remove()));
  }
}

/**
 * Samples where a hostname is served, every few milliseconds, from the moment it is started:
 * every distinct state in order, so a test can check that the CNAME was never missing and that
 * the new tunnel had the ingress before the CNAME pointed at it.
 */
export class ServingTimeline {
  readonly states: { cname: string | undefined; ingress: string[] }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sample: () => { cname: string | undefined; ingress: string[] }) {
    this.take();
    this.timer = setInterval(() => this.take(), 5);
  }

  private take(): void {
    const now = this.sample();
    const last = this.states.at(-1);
    if (!last || last.cname !== now.cname || last.ingress.join() !== now.ingress.join()) {
      this.states.push(now);
    }
  }

  /** Stops sampling, after one last sample (the state the test just waited for). */
  stop(): void {
    clearInterval(this.timer);
    this.take();
  }
}

/**
 * The states a hostname went through while it moved from tunnel `from` to tunnel `to`, as words:
 * `cname=old ingress=old+new` and so on (seed 6: ingress on the new tunnel first, then the CNAME,
 * then the old tunnel drops it; the CNAME is never missing).
 */
export function describeMove(
  states: ServingTimeline["states"],
  from: string,
  to: string,
): string[] {
  const word = (tunnel: string | undefined) =>
    tunnel === from ? "old" : tunnel === to ? "new" : (tunnel ?? "missing");
  return states.map(
    (s) => `cname=${word(s.cname)} ingress=${s.ingress.map(word).sort().join("+") || "none"}`,
  );
}

/** The move as seed 6 wants it: no moment without the CNAME or without ingress behind it. */
export const CLEAN_MOVE = [
  "cname=old ingress=old",
  "cname=old ingress=new+old",
  "cname=new ingress=new+old",
  "cname=new ingress=new",
];

/**
 * "clean" when the sampled states (describeMove) go from the first to the last state of
 * CLEAN_MOVE through no other state and never back; a sample can miss a short intermediate
 * state, never add one. Otherwise the states, to show what happened.
 */
export function moveVerdict(words: string[]): string {
  const steps = words.map((w) => CLEAN_MOVE.indexOf(w));
  const clean =
    steps[0] === 0 &&
    steps.at(-1) === CLEAN_MOVE.length - 1 &&
    steps.every((step, i) => step >= 0 && (i === 0 || step > steps[i - 1]!));
  return clean ? "clean" : words.join(" -> ");
}
