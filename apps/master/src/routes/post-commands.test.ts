import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("POST /agents/{id}/commands", () => {
  let t: TestMaster;
  let agent: { agentId: string; key: string };
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
    agent = await t.registerAgent({ node_info: { node_id: "cmd" } });
  });
  afterAll(() => t?.close());
  const body = { commands: [{ action: "stop_tunnel", tunnel_id: "t1" }] };

  it("queues commands for the admin and for the agent itself, in order", async () => {
    const byAdmin = await json<{ commands: { id: string; action: string }[] }>(
      await t.admin(`/agents/${agent.agentId}/commands`, { method: "POST", json: body }),
      201,
    );
    expect(byAdmin.commands).toEqual([
      { id: expect.stringMatching(/^cmd_/), action: "stop_tunnel" },
    ]);
    const byAgent = await json<{ commands: { id: string }[] }>(
      await t.api(`/agents/${agent.agentId}/commands`, {
        method: "POST",
        token: agent.key,
        json: { commands: [{ action: "restart_tunnel", tunnel_id: "t1" }] },
      }),
      201,
    );
    const delivered = await json<{ commands: { id: string }[] }>(
      await t.api(`/agents/${agent.agentId}/commands`, { token: agent.key }),
    );
    expect(delivered.commands.map((c) => c.id)).toEqual([
      byAdmin.commands[0]!.id,
      byAgent.commands[0]!.id,
    ]);
  });

  it("answers 400 for an unknown action or an empty list, 404 for an unknown agent", async () => {
    const unknown = await expectApiError(
      await t.admin(`/agents/${agent.agentId}/commands`, {
        method: "POST",
        json: { commands: [{ action: "format_disk" }] },
      }),
      400,
      "validation_error",
    );
    expect(unknown.issues?.[0]?.path).toBe("commands.0.action");
    await expectApiError(
      await t.admin(`/agents/${agent.agentId}/commands`, {
        method: "POST",
        json: { commands: [] },
      }),
      400,
      "validation_error",
    );
    await expectApiError(
      await t.admin("/agents/agent-nobody/commands", { method: "POST", json: body }),
      404,
      "not_found",
    );
  });

  it("refuses another agent's key (403) and no credentials (401)", async () => {
    const other = await t.registerAgent({ node_info: { node_id: "cmd-other" } });
    await expectApiError(
      await t.api(`/agents/${agent.agentId}/commands`, {
        method: "POST",
        token: other.key,
        json: body,
      }),
      403,
      "forbidden",
    );
    await expectApiError(
      await t.api(`/agents/${agent.agentId}/commands`, { method: "POST", json: body }),
      401,
      "unauthorized",
    );
  });
});
