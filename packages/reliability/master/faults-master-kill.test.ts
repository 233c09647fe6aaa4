import { createTestDatabase, type TestDatabase, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminToken,
  freePort,
  MasterClient,
  masterEnv,
  type SandboxHandle,
  type ServiceProcess,
  spawnService,
  startSandbox,
  waitHealthy,
} from "../src/master-harness.ts";

/**
 * The master (the real entry point, `node --import tsx src/main.ts`) killed with SIGKILL while
 * commands are being queued and events ingested, then started again on the same database:
 * every command it acknowledged is delivered once and as sent, and events retried after the
 * crash are applied once (duplicates recognised by `event_id`).
 */

interface Delivered {
  id: string;
  tunnel_id: string;
}

describe("master killed mid-command and restarted", () => {
  let db: TestDatabase;
  let cf: SandboxHandle;
  let env: Record<string, string>;
  let url: string;
  let client: MasterClient;
  let proc: ServiceProcess | undefined;

  const start = async () => {
    proc = spawnService("master", env);
    await waitHealthy(url);
  };

  beforeAll(async () => {
    db = await createTestDatabase("dockflow_rel_kill");
    cf = await startSandbox();
    const port = await freePort();
    const admin = adminToken();
    env = masterEnv({
      databaseUrl: db.url,
      adminToken: admin,
      cloudflare: cf.env,
      port,
      extra: { COMMAND_VISIBILITY_TIMEOUT_SECONDS: "600" },
    });
    url = `http://127.0.0.1:${port}`;
    client = new MasterClient(url, admin);
    await start();
  }, 120_000);

  afterAll(async () => {
    await proc?.stop("SIGKILL");
    await cf?.close();
    await db?.drop();
  }, 120_000);

  it("delivers every acknowledged command once after a SIGKILL", async () => {
    const agent = await client.newAgent("kill-commands");
    const acknowledged = new Map<string, string>();
    let failed = 0;
    let killed = false;
    const total = 300;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        if (i === 120 && !killed) {
          killed = true;
          proc?.child.kill("SIGKILL");
        }
        const tunnelId = `kill-${i}`;
        try {
          const reply = await client.request("POST", `/api/v2/agents/${agent.agentId}/commands`, {
            token: client.admin,
            json: { commands: [{ action: "restart_tunnel", tunnel_id: tunnelId }] },
          });
          if (reply.status === 201) {
            const [command] = (reply.json as { commands: { id: string }[] }).commands;
            acknowledged.set(command!.id, tunnelId);
          } else failed += 1;
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(killed).toBe(true);
    await proc?.exited;
    await start();

    const delivered: Delivered[] = [];
    for (;;) {
      const reply = await client.request("GET", `/api/v2/agents/${agent.agentId}/commands?wait=0`, {
        token: agent.key,
      });
      const commands = (reply.json as { commands: Delivered[] }).commands;
      if (commands.length === 0) break;
      for (const command of commands) {
        const ack = await client.request("POST", `/api/v2/agents/${agent.agentId}/events`, {
          token: agent.key,
          json: { type: "command_result", command_id: command.id, success: true },
        });
        expect(ack.status, ack.text).toBe(200);
      }
      delivered.push(...commands);
    }
    const ids = delivered.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(delivered.map((c) => [c.id, c.tunnel_id]));
    const lost = [...acknowledged].filter(([id, tunnel]) => byId.get(id) !== tunnel);
    expect(lost).toEqual([]);
    // Delivered but never acknowledged to the sender: committed just before the kill.
    const unacknowledged = delivered.filter((c) => !acknowledged.has(c.id)).length;
    console.info(
      `[reliability] master SIGKILL mid-enqueue: requests=${total} acknowledged=${acknowledged.size} failed=${failed} delivered=${delivered.length} lost=${lost.length} committed_without_ack=${unacknowledged}`,
    );
    expect(failed).toBeGreaterThan(0);
  }, 180_000);

  it("applies events retried after a SIGKILL once", async () => {
    const agent = await client.newAgent("kill-events");
    // 30 events: the CNAMEs are then written within the master's Cloudflare budget pace.
    const events = Array.from({ length: 30 }, (_, i) => ({
      type: "container_start",
      event_id: `kill-event-${i}`,
      container: {
        name: `svc-${i}`,
        labels: {
          "dockflare.enable": "true",
          "dockflare.hostname": `k${i}.example.com`,
          "dockflare.port": "80",
        },
      },
    }));
    const send = (event: (typeof events)[number]) =>
      client
        .request("POST", `/api/v2/agents/${agent.agentId}/events`, {
          token: agent.key,
          json: event,
        })
        .then((r) => r.status)
        .catch(() => 0);
    // Four senders; the master is killed once 10 events were answered.
    const first: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < events.length) {
        const event = events[next++]!;
        const status = await send(event);
        first.push(status);
        if (first.filter((s) => s === 200).length === 10) proc?.child.kill("SIGKILL");
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const sent = first.length;
    await proc?.exited;
    await start();
    // The agent's outbox retries everything it has no 200 for; here: everything, as a worst case.
    const second = await Promise.all(events.map(send));
    expect(second.every((s) => s === 200)).toBe(true);
    const rules = await client.ok<{ rules: { hostname: string }[] }>(
      "GET",
      `/api/v2/rules?agent_id=${agent.agentId}`,
    );
    const hostnames = rules.rules.map((r) => r.hostname).sort();
    expect(hostnames).toEqual(events.map((_, i) => `k${i}.example.com`).sort());
    console.info(
      `[reliability] master SIGKILL mid-events: events=${events.length} ok_before_kill=${first.filter((s) => s === 200).length} sent=${sent} rules_after_retry=${hostnames.length}`,
    );
    // The tunnel ends with exactly these hostnames once reconciled; no duplicates in DNS.
    await waitFor(
      async () => {
        await client.ok("POST", "/api/v2/reconcile");
        return cf.sandbox.state.dnsRecords.size === events.length;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: "a CNAME per hostname" },
    );
    const names = [...cf.sandbox.state.dnsRecords.values()].map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  }, 240_000);
});
