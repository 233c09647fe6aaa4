import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, connectCluster, labelledServiceArgs } from "./helpers/cluster.ts";
import { ADMIN_TOKEN, DeployedStack, SANDBOX_ACCOUNT } from "./helpers/stack.ts";

interface AgentView {
  agent_id: string;
  node_id: string | null;
  node_role: string | null;
  status: string;
  key_id: string | null;
}

/**
 * docker/stack.yaml for real: `docker stack deploy` on the three-node cluster, two masters on one
 * PostgreSQL, an agent on every node with a key of its own, each node's hostname served through its
 * own agent's tunnel; then one master replica SIGKILLed while commands flow.
 */
describe("the stack deployed with docker stack deploy", () => {
  let cluster: Cluster;
  let stack: DeployedStack;
  const agents = async () => (await stack.admin<{ agents: AgentView[] }>("GET", "/agents")).agents;
  const hostOf = (node: string) => `${node}-${stack.namespace}.example.com`;

  beforeAll(async () => {
    cluster = await connectCluster();
    stack = new DeployedStack(cluster);
    await stack.deploy();
  });

  afterAll(async () => {
    await stack?.remove();
  });

  it("two masters answer on one database; one agent per node, each with its own key", async () => {
    const registered = await waitFor(
      async () => {
        const list = await agents();
        return list.length === 3 && list.every((a) => a.status === "online") && list;
      },
      { message: "three agents online", timeoutMs: 150_000, intervalMs: 1000 },
    );
    expect(registered.map((a) => `${a.node_id} ${a.node_role}`).sort()).toEqual(
      cluster.nodes.map((n) => `${n.id} ${n.role}`).sort(),
    );
    expect(new Set(registered.map((a) => a.key_id)).size).toBe(3);
    const urls = await waitFor(
      async () => {
        const list = await stack.masterUrls();
        return list.length === 2 && list;
      },
      { message: "two masters running" },
    );
    // Each master answers from the same database.
    for (const url of urls) {
      const response = await fetch(`${url}/api/v2/agents`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(((await response.json()) as { agents: unknown[] }).agents).toHaveLength(3);
    }
  });

  it("a labelled service on each node is served through that node's agent's tunnel", async () => {
    for (const node of cluster.nodes) {
      await stack.docker(
        labelledServiceArgs({
          name: `web-${node.name}-${stack.namespace}`,
          hostname: hostOf(node.name),
          network: stack.network,
          extra: ["--constraint", `node.id==${node.id}`],
        }),
      );
    }
    const zone = (await stack.cloudflare<{ id: string }[]>("/zones?name=example.com"))[0]!;
    const list = await agents();
    for (const node of cluster.nodes) {
      const agent = list.find((a) => a.node_id === node.id)!;
      const tunnel = await waitFor(
        async () =>
          (
            await stack.admin<{ tunnels: { agent_id: string; tunnel_id: string | null }[] }>(
              "GET",
              "/tunnels",
            )
          ).tunnels.find((t) => t.agent_id === agent.agent_id)?.tunnel_id ?? undefined,
        { message: `tunnel of the agent on ${node.name}`, timeoutMs: 90_000, intervalMs: 500 },
      );
      const record = await waitFor(
        async () =>
          (
            await stack.cloudflare<{ content: string }[]>(
              `/zones/${zone.id}/dns_records?type=CNAME&name=${hostOf(node.name)}`,
            )
          )[0],
        { message: `CNAME of ${node.name}'s hostname`, timeoutMs: 90_000, intervalMs: 500 },
      );
      expect(record.content).toBe(`${tunnel}.cfargotunnel.com`);
      const config = await stack.cloudflare<{
        config: { ingress: { hostname?: string; service: string }[] };
      }>(`/accounts/${SANDBOX_ACCOUNT}/cfd_tunnel/${tunnel}/configurations`);
      expect(config.config.ingress).toContainEqual(
        expect.objectContaining({
          hostname: hostOf(node.name),
          service: `http://web-${node.name}-${stack.namespace}:8080`,
        }),
      );
    }
  });

  it("one master replica SIGKILLed mid-traffic: every command delivered once, no agent goes offline", async () => {
    const list = await agents();
    const statuses = new Set<string>();
    const sampler = setInterval(() => {
      void agents().then(
        (now) => {
          for (const a of now) statuses.add(a.status);
        },
        () => undefined,
      );
    }, 250);
    const posted: string[] = [];
    const post = async (agent: AgentView, node: string) => {
      const tunnel = (
        await stack.admin<{ tunnels: { agent_id: string; tunnel_id: string }[] }>("GET", "/tunnels")
      ).tunnels.find((t) => t.agent_id === agent.agent_id)!.tunnel_id;
      const answer = await waitFor(
        () =>
          stack.admin<{ commands: { id: string }[] }>(
            "POST",
            `/agents/${agent.agent_id}/commands`,
            {
              commands: [
                {
                  action: "update_tunnel_config",
                  tunnel_id: tunnel,
                  rules: {
                    [hostOf(node)]: { service: `web-${node}-${stack.namespace}`, port: 8080 },
                  },
                },
              ],
            },
          ),
        { message: "a master accepts the command", timeoutMs: 60_000, intervalMs: 200 },
      );
      posted.push(...answer.commands.map((c) => c.id));
    };
    const victim = await waitFor(
      async () => {
        const tasks = (await cluster.manager.docker.listTasks({
          filters: JSON.stringify({
            service: [`${stack.namespace}_master`],
            "desired-state": ["running"],
          }),
        })) as { NodeID: string; Status: { ContainerStatus?: { ContainerID?: string } } }[];
        const id = tasks[0]?.Status.ContainerStatus?.ContainerID;
        return id ? { node: cluster.byId(tasks[0]!.NodeID), id } : undefined;
      },
      { message: "a master task" },
    );
    for (let round = 0; round < 12; round++) {
      if (round === 4) await victim.node.docker.getContainer(victim.id).kill({ signal: "SIGKILL" });
      await Promise.all(
        list.map((agent) => post(agent, cluster.nodes.find((n) => n.id === agent.node_id)!.name)),
      );
    }
    const rows = await waitFor(
      async () => {
        const result = await stack.sql(
          `select id, delivery_count, acked_at is not null, coalesce(success, false) from commands where action = 'update_tunnel_config' and id in (${posted.map((id) => `'${id}'`).join(",")})`,
        );
        return result.length === posted.length && result.every((r) => r[2] === "t") && result;
      },
      { message: "every command acknowledged", timeoutMs: 120_000, intervalMs: 1000 },
    );
    clearInterval(sampler);
    // Every command acknowledged with success, none lost. A command the killed replica handed out
    // just before it died is delivered again after the visibility timeout (at least once; see
    // issue 13's closing note): at most one such redelivery.
    expect(rows.map((r) => r[3])).toEqual(posted.map(() => "t"));
    expect(rows.filter((r) => r[1] !== "1").length).toBeLessThanOrEqual(1);
    expect([...statuses]).toEqual(["online"]);
    expect((await stack.masterUrls()).length).toBeGreaterThanOrEqual(1);
  });
});
