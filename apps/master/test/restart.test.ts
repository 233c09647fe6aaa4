import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCloudflareSandbox } from "@dockflow/cloudflare-sandbox";
import { createTestDatabase } from "@dockflow/testkit";
import { describe, expect, it } from "vitest";
import { json } from "../src/testing/expect.ts";
import { type DatabaseChoice, startTestMaster, TestClock } from "../src/testing/harness.ts";

async function databaseEnv(
  choice: DatabaseChoice,
): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  if (choice === "postgres") {
    const db = await createTestDatabase("dockflow_master");
    return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
  }
  const dir = await mkdtemp(join(tmpdir(), "dockflow-master-"));
  return { env: { DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
}

describe.each(["pglite", "postgres"] as const)("master restart (%s)", (choice) => {
  it("loses nothing: agents, keys, and queued commands are all there afterwards", async () => {
    const database = await databaseEnv(choice);
    const sandbox = createCloudflareSandbox({ zones: ["example.com"] });
    const clock = new TestClock();
    try {
      const first = await startTestMaster({ databaseEnv: database.env, sandbox, clock });
      const agent = await first.registerAgent({ node_info: { node_id: "restart" } });
      const queued = await json<{ commands: { id: string }[] }>(
        await first.admin(`/agents/${agent.agentId}/commands`, {
          method: "POST",
          json: {
            commands: [
              { action: "restart_tunnel", tunnel_id: "t1" },
              { action: "stop_tunnel", tunnel_id: "t1" },
            ],
          },
        }),
        201,
      );
      // One command is delivered and not acknowledged before the crash.
      await first.master.queue.claim(agent.agentId).then((c) => expect(c).toHaveLength(2));
      await first.close();

      const second = await startTestMaster({ databaseEnv: database.env, sandbox, clock });
      try {
        // The same key still works, and gives the same agent back.
        const again = await json<{ agent_id: string }>(
          await second.api("/agents/register", {
            method: "POST",
            token: agent.key,
            json: { display_name: "agent", version: "2.0.0", mode: "standalone" },
          }),
        );
        expect(again.agent_id).toBe(agent.agentId);
        clock.advanceSeconds(3600); // past the visibility timeout of the pre-crash delivery
        const delivered = await json<{ commands: { id: string }[] }>(
          await second.api(`/agents/${agent.agentId}/commands`, { token: agent.key }),
        );
        expect(delivered.commands.map((c) => c.id)).toEqual(queued.commands.map((c) => c.id));
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });
});
