import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrations.ts";
import { recordHeartbeat, upsertAgent } from "../src/db/repositories/agents.ts";
import { claimCommands, insertCommands } from "../src/db/repositories/commands.ts";
import { appendEvent, appendTunnelStatuses, listEvents } from "../src/db/repositories/event-log.ts";
import { ensureTunnelRow, getTunnel } from "../src/db/repositories/tunnels.ts";
import { DATABASES, type TestDatabaseHandle, testDatabase } from "../src/testing/harness.ts";

const at = new Date("2024-01-15T10:00:00.000Z");
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

describe.each(DATABASES)("storage (%s)", (choice) => {
  let database: TestDatabaseHandle;
  let handle: Awaited<ReturnType<typeof openDatabase>>;
  beforeAll(async () => {
    database = await testDatabase(choice);
    handle = await openDatabase({ url: database.env.DATABASE_URL, dataDir: database.env.DATA_DIR });
    await migrate(handle.db);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it("migrations can run again (every master runs them at startup)", async () => {
    await migrate(handle.db);
    const tables = await handle.db.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        "agent_keys",
        "agents",
        "tunnels",
        "rules",
        "dns_records",
        "commands",
        "event_log",
        "sessions",
        "changes",
      ]),
    );
  });

  it("the event log records an event_id once per agent", async () => {
    const entry = { agent_id: "a1", event_id: "e1", type: "x", payload: { n: 1 }, created_at: at };
    const first = await appendEvent(handle.db, entry);
    expect(first).toMatch(/^\d+$/);
    expect(await appendEvent(handle.db, entry)).toBeUndefined();
    const ids = [
      await appendEvent(handle.db, { ...entry, agent_id: "a2" }),
      await appendEvent(handle.db, { ...entry, event_id: null }),
      await appendEvent(handle.db, { ...entry, event_id: null }),
    ];
    // Each entry gets its own, growing id.
    const numbers = [first, ...ids].map(Number);
    expect(numbers.every((n, i) => i === 0 || n > (numbers[i - 1] ?? 0))).toBe(true);
    const events = await listEvents(handle.db, { agentId: "a1" });
    expect(events.map((e) => [e.event_id, e.payload])).toEqual([
      ["e1", { n: 1 }],
      [null, { n: 1 }],
      [null, { n: 1 }],
    ]);
  });

  it("connector status reports are written as a batch, once per event_id", async () => {
    await ensureTunnelRow(handle.db, "t1", "dockflow-t1", at);
    const report = (agent_id: string, event_id: string | null, status: string, s = 0) => ({
      agent_id,
      event_id,
      payload: { type: "tunnel_status", event_id, status, quote: `it's "${status}" {x}` },
      created_at: later(s),
      status,
      version: `v-${status}`,
    });
    expect(await appendTunnelStatuses(handle.db, [report("t1", "s1", "running")])).toEqual([true]);
    const answers = await appendTunnelStatuses(handle.db, [
      report("t1", "s1", "exited", 1), // already logged
      report("t1", "s2", "degraded", 2),
      report("t1", "s2", "degraded", 3), // repeat inside the batch
      report("t1", null, "restarting", 4),
      report("t2", "s2", "running", 5), // another agent (no tunnel row): its own event_ids
      report("t1", "s3", "stopped", 6), // the last new report of t1 in the batch wins
      report("t1", "s1", "exited", 7), // already logged
    ]);
    expect(answers).toEqual([false, true, false, true, true, true, false]);
    const tunnel = await getTunnel(handle.db, "t1");
    expect(tunnel).toMatchObject({ connector_status: "stopped", connector_version: "v-stopped" });
    expect(tunnel?.updated_at.toISOString()).toBe(later(6).toISOString());
    const logged = await listEvents(handle.db, { type: "tunnel_status" });
    expect(
      logged.map((e) => [e.agent_id, e.event_id, (e.payload as { status: string }).status]),
    ).toEqual([
      ["t1", "s1", "running"],
      ["t1", "s2", "degraded"],
      ["t1", null, "restarting"],
      ["t2", "s2", "running"],
      ["t1", "s3", "stopped"],
    ]);
    expect(logged[0]?.payload).toMatchObject({ quote: `it's "running" {x}` });
  });

  it("a heartbeat says what the status was before, in one statement", async () => {
    const registration = {
      display_name: "a",
      version: "1",
      mode: "standalone" as const,
      node_id: null,
      node_role: null,
      hostname: null,
      key_id: null,
    };
    await upsertAgent(handle.db, "hb", registration, at);
    expect(await recordHeartbeat(handle.db, "hb", later(10))).toEqual({ previous: "online" });
    await handle.db
      .updateTable("agents")
      .set({ status: "offline" })
      .where("id", "=", "hb")
      .execute();
    expect(await recordHeartbeat(handle.db, "hb", later(20))).toEqual({ previous: "offline" });
    // An older heartbeat arriving late does not move last_heartbeat back.
    await recordHeartbeat(handle.db, "hb", later(5));
    const row = await handle.db
      .selectFrom("agents")
      .selectAll()
      .where("id", "=", "hb")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "online", last_heartbeat: later(20) });
    expect(await recordHeartbeat(handle.db, "nobody", at)).toBeUndefined();
  });

  it("claims commands in order, hides them for the visibility timeout, then hands them out again", async () => {
    await insertCommands(
      handle.db,
      ["c1", "c2", "c3"].map((id, i) => ({
        id,
        agent_id: "q",
        action: "stop_tunnel",
        payload: { action: "stop_tunnel", tunnel_id: `t${i}` },
        created_at: at,
      })),
    );
    const first = await claimCommands(handle.db, "q", at, 30_000, 2);
    expect(first.map((c) => [c.id, c.delivery_count])).toEqual([
      ["c1", 1],
      ["c2", 1],
    ]);
    expect((await claimCommands(handle.db, "q", later(1), 30_000, 10)).map((c) => c.id)).toEqual([
      "c3",
    ]);
    expect(await claimCommands(handle.db, "q", later(29), 30_000, 10)).toEqual([]);
    const again = await claimCommands(handle.db, "q", later(31), 30_000, 10);
    expect(again.map((c) => [c.id, c.delivery_count])).toEqual([
      ["c1", 2],
      ["c2", 2],
      ["c3", 2],
    ]);
  });

  it("never hands one command to two concurrent claims", async () => {
    await insertCommands(
      handle.db,
      Array.from({ length: 40 }, (_, i) => ({
        id: `k${String(i).padStart(2, "0")}`,
        agent_id: "k",
        action: "stop_tunnel",
        payload: { action: "stop_tunnel", tunnel_id: "t" },
        created_at: at,
      })),
    );
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => claimCommands(handle.db, "k", at, 30_000, 5)),
    );
    const ids = claims.flat().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, "0")}`),
    );
  });
});
