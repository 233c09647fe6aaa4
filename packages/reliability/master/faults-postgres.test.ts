import { startMaster } from "@dockflow/master";
import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminToken,
  isDocumentedClientError,
  LogCapture,
  MasterClient,
  masterEnv,
  type SandboxHandle,
  startSandbox,
} from "../src/master-harness.ts";
import { type OwnPostgres, startOwnPostgres } from "../src/master-postgres.ts";

/**
 * PostgreSQL restarted under a running master (its own throwaway server, never the shared one):
 * the master answers the documented errors while the database is away, recovers by itself, and
 * every command it acknowledged (201) before, during or after the outage is delivered, exactly
 * once and as sent; nothing it refused is delivered.
 */

interface Delivered {
  id: string;
  action: string;
  tunnel_id: string;
}

describe("PostgreSQL restarted under a running master", () => {
  let pg: OwnPostgres;
  let cf: SandboxHandle;
  let master: { url: string; close(): Promise<void> };
  let client: MasterClient;
  const logs = new LogCapture("info");

  beforeAll(async () => {
    pg = await startOwnPostgres();
    cf = await startSandbox();
    const admin = adminToken();
    master = await startMaster(
      masterEnv({
        databaseUrl: pg.url,
        adminToken: admin,
        cloudflare: cf.env,
        extra: { LONG_POLL_MAX_SECONDS: "30", COMMAND_VISIBILITY_TIMEOUT_SECONDS: "600" },
      }),
      { logger: logs.logger },
    );
    client = new MasterClient(master.url, admin);
  }, 120_000);

  afterAll(async () => {
    await master?.close();
    await cf?.close();
    await pg?.destroy();
  }, 120_000);

  it("delivers exactly the commands it acknowledged, across the restart", async () => {
    const agent = await client.newAgent("pg-restart");
    const acknowledged = new Map<string, string>();
    const refused: string[] = [];
    let n = 0;
    const enqueue = async () => {
      n += 1;
      const tunnelId = `pg-${n}`;
      const reply = await client
        .request("POST", `/api/v2/agents/${agent.agentId}/commands`, {
          token: client.admin,
          json: { commands: [{ action: "restart_tunnel", tunnel_id: tunnelId }] },
        })
        .catch((error: Error) => ({ status: 0, text: error.message, json: undefined }));
      if (reply.status === 201) {
        const [command] = (reply.json as { commands: { id: string }[] }).commands;
        acknowledged.set(command!.id, tunnelId);
      } else {
        refused.push(`${tunnelId}: ${reply.status}`);
        if (reply.status !== 0) {
          expect(reply.status, reply.text).toBe(503);
          expect(reply.text).toContain('"unavailable"');
          expect(isDocumentedClientError({ ...reply, status: 400 }), reply.text).toBe(true);
        }
      }
      return reply.status;
    };

    for (let i = 0; i < 5; i++) expect(await enqueue()).toBe(201);

    await pg.stop();
    await waitFor(async () => (await client.request("GET", "/api/v2/health")).status === 503, {
      message: "health reports the database down",
    });
    const during: number[] = [];
    for (let i = 0; i < 5; i++) during.push(await enqueue());
    // With the database stopped nothing can be stored, so nothing may be acknowledged.
    expect(during.filter((s) => s === 201)).toEqual([]);

    await pg.start();
    await waitFor(() => client.healthy(), { timeoutMs: 60_000, message: "master healthy again" });

    // A long poll started after the restart is woken by a new command (LISTEN re-established,
    // or the queue's own re-check while the notifier reconnects).
    const drained = await drain(client, agent);
    const poll = client.request("GET", `/api/v2/agents/${agent.agentId}/commands?wait=30`, {
      token: agent.key,
    });
    for (let i = 0; i < 5; i++) expect(await enqueue()).toBe(201);
    const woken = (await poll).json as { commands: Delivered[] };
    expect(woken.commands.length).toBeGreaterThan(0);
    await acknowledge(client, agent, woken.commands);
    const rest = await drain(client, agent);

    const delivered = [...drained, ...woken.commands, ...rest];
    const ids = delivered.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Map(delivered.map((c) => [c.id, c.tunnel_id]))).toEqual(acknowledged);
    console.info(
      `[reliability] postgres restart: acknowledged=${acknowledged.size} delivered=${delivered.length} refused_during_outage=${refused.length} (${refused.join(", ")})`,
    );
    // After acknowledgement nothing comes back.
    expect(await drain(client, agent)).toEqual([]);
  }, 180_000);
});

async function acknowledge(
  client: MasterClient,
  agent: { agentId: string; key: string },
  commands: Delivered[],
) {
  for (const command of commands) {
    const reply = await client.request("POST", `/api/v2/agents/${agent.agentId}/events`, {
      token: agent.key,
      json: { type: "command_result", command_id: command.id, success: true },
    });
    expect(reply.status, reply.text).toBe(200);
  }
}

/** Takes and acknowledges every deliverable command. */
async function drain(
  client: MasterClient,
  agent: { agentId: string; key: string },
): Promise<Delivered[]> {
  const all: Delivered[] = [];
  for (;;) {
    const reply = await client.request("GET", `/api/v2/agents/${agent.agentId}/commands?wait=0`, {
      token: agent.key,
    });
    expect(reply.status, reply.text).toBe(200);
    const commands = (reply.json as { commands: Delivered[] }).commands;
    if (commands.length === 0) return all;
    await acknowledge(client, agent, commands);
    all.push(...commands);
  }
}
