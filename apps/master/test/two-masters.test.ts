import { createCloudflareSandbox } from "@dockflow/cloudflare-sandbox";
import { createTestDatabase, type TestDatabase, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../src/testing/expect.ts";
import { startTestMaster, TestClock, type TestMaster } from "../src/testing/harness.ts";

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
