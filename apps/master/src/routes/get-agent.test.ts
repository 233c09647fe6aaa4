import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json, startEvent, webLabels } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("GET /agents/{id}", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("shows the agent's tunnel, rules and pending commands", async () => {
    const a = await t.registerAgent({ node_info: { node_id: "ga" } });
    await t.api(`/agents/${a.agentId}/events`, {
      method: "POST",
      token: a.key,
      json: startEvent("shop", webLabels("shop.example.com", "3000")),
    });
    await t.master.reconciler.run();
    const detail = await json<{
      tunnel: { tunnel_id: string; status: string } | null;
      rules: { hostname: string; target: unknown }[];
      pending_commands: number;
    }>(await t.admin(`/agents/${a.agentId}`));
    expect(detail.tunnel).toMatchObject({ status: "active", tunnel_id: expect.any(String) });
    expect(detail.rules).toEqual([
      expect.objectContaining({
        hostname: "shop.example.com",
        target: { service: "shop", port: 3000 },
      }),
    ]);
    expect(detail.pending_commands).toBe(1);
  });

  it("answers 404 for an unknown agent and 400 for a malformed id", async () => {
    await expectApiError(await t.admin("/agents/agent-none"), 404, "not_found");
    await expectApiError(await t.admin("/agents/%20bad%20"), 400, "validation_error");
  });
});
