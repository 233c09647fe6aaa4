import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestMaster, type TestMaster } from "../src/master-harness.ts";

/**
 * The Cloudflare stand-in answering 429s and 500s on every call the master makes to create a
 * tunnel, write its ingress and its DNS records: the master retries (backoff, `Retry-After`),
 * ends with exactly the desired state, and never creates a tunnel or a record twice.
 */

describe("Cloudflare 429s and 500s", () => {
  let master: TestMaster;

  beforeAll(async () => {
    master = await startTestMaster({ extra: { LOG_LEVEL: "silent" } });
  }, 120_000);

  afterAll(async () => {
    await master?.close();
  });

  it("ends with one tunnel, one ingress rule and one CNAME per hostname, and one start_tunnel", async () => {
    const { sandbox } = master.cf;
    const agent = await master.client.newAgent("cf-faults");
    const tunnelCreate = (method: string, path: string) =>
      method === "POST" && path.endsWith("/cfd_tunnel");
    const ingressWrite = (method: string, path: string) =>
      method === "PUT" && path.endsWith("/configurations");
    const dnsCreate = (method: string, path: string) =>
      method === "POST" && path.endsWith("/dns_records");
    const tokenRead = (method: string, path: string) => method === "GET" && path.endsWith("/token");
    sandbox.failNext({ status: 500, count: 3, match: tunnelCreate });
    sandbox.failNext({ status: 429, count: 2, retryAfterSeconds: 0, match: tunnelCreate });
    sandbox.failNext({ status: 503, count: 2, match: tokenRead });
    sandbox.failNext({ status: 429, count: 3, retryAfterSeconds: 0, match: ingressWrite });
    sandbox.failNext({ status: 500, count: 2, match: ingressWrite });
    sandbox.failNext({ status: 500, count: 3, match: dnsCreate });
    sandbox.failNext({ status: 429, count: 3, retryAfterSeconds: 0, match: dnsCreate });

    const hostnames = ["one.example.com", "two.example.com", "three.example.org"];
    const reply = await master.client.request("POST", `/api/v2/agents/${agent.agentId}/events`, {
      token: agent.key,
      json: {
        type: "container_start",
        event_id: "cf-faults-1",
        container: {
          name: "web",
          labels: {
            "dockflare.enable": "true",
            "dockflare.hostname": hostnames[0],
            "dockflare.0.hostname": hostnames[1],
            "dockflare.1.hostname": hostnames[2],
            "dockflare.port": "80",
          },
        },
      },
    });
    expect(reply.status).toBe(200);

    // Reconcile until the desired state is in Cloudflare (each pass retries what failed).
    await waitFor(
      async () => {
        await master.client.ok("POST", "/api/v2/reconcile");
        const names = [...sandbox.state.dnsRecords.values()].map((r) => r.name).sort();
        return JSON.stringify(names) === JSON.stringify([...hostnames].sort());
      },
      { timeoutMs: 60_000, intervalMs: 200, message: "DNS records for every hostname" },
    );
    await master.client.ok("POST", "/api/v2/reconcile");

    // Every injected failure was really hit (or this test proves nothing).
    const failed = sandbox.requests().filter((r) => r.status === 429 || r.status >= 500);
    expect(failed.length).toBe(3 + 2 + 2 + 3 + 2 + 3 + 3);

    const tunnels = [...sandbox.state.tunnels.values()].filter((t) => t.deleted_at === null);
    expect(tunnels.map((t) => t.name)).toHaveLength(1);
    const configuration = sandbox.state.configurations.get(tunnels[0]!.id);
    const ingressHosts = (configuration?.config?.ingress ?? [])
      .map((r) => r.hostname)
      .filter((h): h is string => h !== undefined && h !== "");
    expect(ingressHosts.sort()).toEqual([...hostnames].sort());
    const records = [...sandbox.state.dnsRecords.values()];
    expect(records).toHaveLength(hostnames.length);
    for (const record of records) {
      expect(record.type).toBe("CNAME");
      expect(record.content).toBe(`${tunnels[0]!.id}.cfargotunnel.com`);
    }

    // The agent is told to start its tunnel once (a retried creation is not a second tunnel).
    const delivered: string[] = [];
    for (;;) {
      const poll = await master.client.request(
        "GET",
        `/api/v2/agents/${agent.agentId}/commands?wait=0`,
        {
          token: agent.key,
        },
      );
      const commands = (poll.json as { commands: { id: string; action: string }[] }).commands;
      if (commands.length === 0) break;
      for (const command of commands) {
        delivered.push(command.action);
        await master.client.request("POST", `/api/v2/agents/${agent.agentId}/events`, {
          token: agent.key,
          json: { type: "command_result", command_id: command.id, success: true },
        });
      }
    }
    expect(delivered.filter((a) => a === "start_tunnel")).toHaveLength(1);

    // A clean pass afterwards changes nothing more in Cloudflare.
    const before = sandbox.requests().filter((r) => r.method !== "GET").length;
    await master.client.ok("POST", "/api/v2/reconcile");
    expect(sandbox.requests().filter((r) => r.method !== "GET").length).toBe(before);
  }, 180_000);
});
