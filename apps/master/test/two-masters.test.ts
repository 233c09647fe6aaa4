import { createCloudflareSandbox } from "@dockflow/cloudflare-sandbox";
import { createTestDatabase, type TestDatabase, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../src/testing/expect.ts";
import {
  ADMIN_TOKEN,
  startTestMaster,
  TestClock,
  type TestMaster,
} from "../src/testing/harness.ts";
import { openStream } from "../src/testing/sse.ts";

type Commands = { commands: { id: string }[] };

describe("two masters on one PostgreSQL database", () => {
  let database: TestDatabase;
  let a: TestMaster;
  let b: TestMaster;
  let agent: { agentId: string; key: string };
  beforeAll(async () => {
    database = await createTestDatabase("dockflow_master");
    const sandbox = createCloudflareSandbox({ zones: ["example.com"] });
    const clock = new TestClock();
    a = await startTestMaster({ databaseEnv: { DATABASE_URL: database.url }, sandbox, clock });
    b = await startTestMaster({ databaseEnv: { DATABASE_URL: database.url }, sandbox, clock });
    agent = await a.registerAgent({ node_info: { node_id: "replicated" } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it("a command queued through one master wakes a long poll held by the other (LISTEN/NOTIFY)", async () => {
    const pending = b.api(`/agents/${agent.agentId}/commands?wait=50`, { token: agent.key });
    await waitFor(() => b.master.queue.waiting(agent.agentId) > 0, {
      message: "poll waiting on b",
    });
    const queued = await json<Commands>(
      await a.admin(`/agents/${agent.agentId}/commands`, {
        method: "POST",
        json: { commands: [{ action: "restart_tunnel", tunnel_id: "t" }] },
      }),
      201,
    );
    const delivered = await json<Commands>(await pending);
    expect(delivered.commands.map((c) => c.id)).toEqual(queued.commands.map((c) => c.id));
  });

  it("every master streams every change, whichever master made it (LISTEN/NOTIFY)", async () => {
    const [onA, onB] = await Promise.all([
      openStream(a.url, { token: ADMIN_TOKEN }),
      openStream(b.url, { token: ADMIN_TOKEN }),
    ]);
    try {
      await waitFor(() => a.master.stream.size === 1 && b.master.stream.size === 1);
      // Interleaved writes through both masters, some at the same time.
      await a.admin("/keys", { method: "POST", json: { name: "via-a-1" } });
      await Promise.all([
        b.admin("/keys", { method: "POST", json: { name: "via-b-1" } }),
        a.admin("/keys", { method: "POST", json: { name: "via-a-2" } }),
      ]);
      await b.admin("/keys", { method: "POST", json: { name: "via-b-2" } });
      const names = (m: typeof onA) =>
        m.changes().flatMap((c) => (c.kind === "key" ? [`${c.id} ${c.key.name}`] : []));
      await waitFor(() => names(onA).length === 4 && names(onB).length === 4);
      // The same changes, with the same ids, in the same (commit) order on both.
      expect(names(onA)).toEqual(names(onB));
      expect(new Set(names(onA).map((n) => n.split(" ")[1]))).toEqual(
        new Set(["via-a-1", "via-a-2", "via-b-1", "via-b-2"]),
      );
    } finally {
      onA.close();
      onB.close();
    }
  });

  it("concurrent polls on both masters never get the same command", async () => {
    const polls = [a, b, a, b].map((m) =>
      m.api(`/agents/${agent.agentId}/commands?wait=5`, { token: agent.key }),
    );
    await waitFor(
      () => a.master.queue.waiting(agent.agentId) + b.master.queue.waiting(agent.agentId) === 4,
      { message: "four polls waiting" },
    );
    const queued = await json<Commands>(
      await a.admin(`/agents/${agent.agentId}/commands`, {
        method: "POST",
        json: {
          commands: Array.from({ length: 10 }, (_, i) => ({
            action: "stop_tunnel",
            tunnel_id: `t${i}`,
          })),
        },
      }),
      201,
    );
    const answers = await Promise.all(polls.map(async (p) => json<Commands>(await p)));
    const ids = answers.flatMap((r) => r.commands.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(queued.commands.map((c) => c.id).sort());
  });
});
