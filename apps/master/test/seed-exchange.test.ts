import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnameOf, ingressOf, tunnelIdOfToken } from "../src/testing/cloudflare-view.ts";
import { DATABASES, startTestMaster, type TestMaster } from "../src/testing/harness.ts";

// The agent's side of the conversation in seeds/002, sent verbatim (bodies and headers).
const KEY = "agent_api_key_12345";
const AGENT = "agent-ktnuv2s9qi5vdx6n8mrl0ug8z";

describe.each(DATABASES)("the seed's HTTP exchange (%s)", (database) => {
  let t: TestMaster;
  let tunnelId: string;
  beforeAll(async () => {
    t = await startTestMaster({ database, env: { MASTER_REGION: "us-east-1" } });
    await t.issueKey("Production Swarm Worker 01", KEY);
  });
  afterAll(() => t?.close());

  const post = (path: string, body: unknown, key = KEY) =>
    t.api(path, {
      method: "POST",
      token: key,
      json: body,
      headers: { host: "dockflare.example.com" },
    });

  it("1.2 -> 1.3: registers the agent", async () => {
    const response = await post("/agents/register", {
      display_name: "Production Swarm Worker 01",
      version: "2.0.0",
      mode: "swarm",
      node_info: { node_id: "ktnuv2s9qi5vdx6n8mrl0ug8z", node_role: "worker" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(await response.json()).toEqual({
      agent_id: AGENT,
      status: "registered",
      assigned_region: "us-east-1",
      capabilities: ["tunnel_management", "service_discovery", "swarm_orchestration"],
    });
  });

  it("2.3: accepts the container_start", async () => {
    const response = await post(`/agents/${AGENT}/events`, {
      type: "container_start",
      timestamp: "2024-01-15T10:30:45.123Z",
      mode: "swarm",
      container: {
        id: "container_xyz789",
        name: "web-app",
        labels: {
          "dockflare.enable": "true",
          "dockflare.domain": "app.example.com",
          "dockflare.port": "8080",
        },
        status: "running",
        image: "nginx:latest",
        service_id: "service_def456",
        task_id: "task_abc123",
        node_id: "ktnuv2s9qi5vdx6n8mrl0ug8z",
      },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "accepted", duplicate: false });
  });

  it("3.1 -> 3.2: the poll returns start_tunnel with the token and rules", async () => {
    const response = await t.api(`/agents/${AGENT}/commands?wait=20`, { token: KEY });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { commands: Record<string, unknown>[] };
    expect(body.commands).toHaveLength(1);
    const command = body.commands[0]!;
    expect(command).toEqual({
      id: expect.stringMatching(/^cmd_/),
      action: "start_tunnel",
      tunnel_id: expect.any(String),
      tunnel_name: `dockflow-${AGENT}`,
      token: expect.any(String),
      rules: { "app.example.com": { service: "web-app", port: 8080 } },
      timestamp: expect.any(String),
    });
    tunnelId = command.tunnel_id as string;
    expect(tunnelIdOfToken(command.token as string)).toBe(tunnelId);
    // Cloudflare: the tunnel's ingress has the rule, catch-all last; a proxied CNAME points at it.
    await waitFor(() => cnameOf(t.sandbox, "app.example.com"));
    expect(ingressOf(t.sandbox, tunnelId)).toEqual([
      { hostname: "app.example.com", service: "http://web-app:8080" },
      { service: "http_status:404" },
    ]);
    expect(cnameOf(t.sandbox, "app.example.com")).toMatchObject({
      content: `${tunnelId}.cfargotunnel.com`,
      proxied: true,
    });
    const ack = await post(`/agents/${AGENT}/events`, {
      type: "command_result",
      command_id: command.id,
      success: true,
    });
    expect(ack.status).toBe(200);
  });

  it("3.5: accepts the tunnel_status and shows it on the tunnel", async () => {
    const response = await post(`/agents/${AGENT}/events`, {
      type: "tunnel_status",
      timestamp: "2024-01-15T10:31:15.456Z",
      container: {
        name: "tunnel-app-example-com",
        status: "running",
        version: "cloudflared version 2025.9.0",
        mode: "swarm",
        service_id: "service_tunnel_123",
        task_id: "task_tunnel_456",
        node_id: "ktnuv2s9qi5vdx6n8mrl0ug8z",
      },
    });
    expect(response.status).toBe(200);
    const tunnels = (await (await t.admin("/tunnels")).json()) as {
      tunnels: { agent_id: string; tunnel_id: string; connector_status: string }[];
    };
    expect(tunnels.tunnels).toEqual([
      expect.objectContaining({
        agent_id: AGENT,
        tunnel_id: tunnelId,
        connector_status: "running",
      }),
    ]);
  });

  it("4.1 -> 4.2: heartbeat and status_report; the replica count reaches the agent", async () => {
    expect((await post(`/agents/${AGENT}/events`, { type: "heartbeat" })).status).toBe(200);
    const response = await post(`/agents/${AGENT}/events`, {
      type: "status_report",
      timestamp: "2024-01-15T10:32:00.000Z",
      container: {
        containers: [
          {
            id: "container_xyz789",
            name: "web-app",
            status: "running",
            service_id: "service_def456",
            node_id: "ktnuv2s9qi5vdx6n8mrl0ug8z",
            labels: { "dockflare.enable": "true", "dockflare.domain": "app.example.com" },
          },
          {
            id: "container_tunnel_abc",
            name: "dockflare-agent-tunnel",
            status: "running",
            service_id: "service_tunnel_123",
            node_id: "ktnuv2s9qi5vdx6n8mrl0ug8z",
            labels: { "dockflare.managed": "true", "dockflare.type": "tunnel" },
          },
        ],
      },
    });
    expect(response.status).toBe(200);
    const poll = await t.api(`/agents/${AGENT}/commands?wait=20`, { token: KEY });
    const { commands } = (await poll.json()) as { commands: Record<string, unknown>[] };
    expect(commands).toEqual([
      expect.objectContaining({
        action: "update_tunnel_config",
        tunnel_id: tunnelId,
        rules: { "app.example.com": { service: "web-app", port: 8080, replicas: 1 } },
      }),
    ]);
  });

  it("5.3: the update_tunnel_config the seed enqueues is delivered as sent", async () => {
    const response = await post(`/agents/${AGENT}/commands`, {
      commands: [
        {
          action: "update_tunnel_config",
          tunnel_id: "tunnel_def456",
          rules: {
            "app.example.com": {
              service: "web-app",
              port: 8080,
              replicas: 6,
              load_balancer: "round_robin",
            },
          },
        },
      ],
    });
    expect(response.status).toBe(201);
    const poll = await t.api(`/agents/${AGENT}/commands?wait=20`, { token: KEY });
    const { commands } = (await poll.json()) as { commands: Record<string, unknown>[] };
    // The status_report's command was not acknowledged: it is still in its visibility timeout.
    expect(commands).toEqual([
      expect.objectContaining({
        action: "update_tunnel_config",
        tunnel_id: "tunnel_def456",
        rules: {
          "app.example.com": {
            service: "web-app",
            port: 8080,
            replicas: 6,
            load_balancer: "round_robin",
          },
        },
      }),
    ]);
  });

  it("6.3: the task rescheduled to worker-01 takes the hostname and its CNAME along", async () => {
    const workerKey = await t.issueKey("worker-01");
    const registered = await post(
      "/agents/register",
      {
        display_name: "Swarm Worker 01",
        version: "2.0.0",
        mode: "swarm",
        node_info: { node_id: "worker-01-node-id", node_role: "worker" },
        agent_id: "agent-worker-01",
      },
      workerKey,
    );
    expect(registered.status).toBe(200);
    const response = await post(
      "/agents/agent-worker-01/events",
      {
        type: "container_start",
        container: {
          name: "web-app",
          service_id: "service_def456",
          task_id: "task_xyz789_migrated",
          node_id: "worker-01-node-id",
          migration_source: "swarm-worker-02",
        },
      },
      workerKey,
    );
    expect(response.status).toBe(200);
    const poll = await t.api("/agents/agent-worker-01/commands?wait=20", { token: workerKey });
    const { commands } = (await poll.json()) as { commands: Record<string, unknown>[] };
    expect(commands).toEqual([
      expect.objectContaining({
        action: "start_tunnel",
        rules: { "app.example.com": { service: "web-app", port: 8080 } },
      }),
    ]);
    const newTunnel = commands[0]!.tunnel_id as string;
    expect(newTunnel).not.toBe(tunnelId);
    await waitFor(
      () => cnameOf(t.sandbox, "app.example.com")?.content === `${newTunnel}.cfargotunnel.com`,
      { message: "the CNAME follows the hostname" },
    );
    await waitFor(() => ingressOf(t.sandbox, tunnelId).length === 1, {
      message: "the old tunnel drops the rule",
    });
    expect(ingressOf(t.sandbox, newTunnel)).toEqual([
      { hostname: "app.example.com", service: "http://web-app:8080" },
      { service: "http_status:404" },
    ]);
    const rules = (await (await t.admin("/rules")).json()) as { rules: { agent_id: string }[] };
    expect(rules.rules).toEqual([expect.objectContaining({ agent_id: "agent-worker-01" })]);
    // The agent that lost the hostname is told its new (empty) rules.
    const old = await t.api(`/agents/${AGENT}/commands?wait=20`, { token: KEY });
    const oldCommands = ((await old.json()) as { commands: Record<string, unknown>[] }).commands;
    expect(oldCommands).toEqual([
      expect.objectContaining({ action: "update_tunnel_config", tunnel_id: tunnelId, rules: {} }),
    ]);
  });
});
