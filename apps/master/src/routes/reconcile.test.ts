import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnameOf, ingressOf, liveTunnels } from "../testing/cloudflare-view.ts";
import { expectApiError, json, startEvent, webLabels } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("POST /reconcile", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("keeps desired state through Cloudflare failures and converges on a later pass", async () => {
    const a = await t.registerAgent({ node_info: { node_id: "rc" } });
    await t.master.reconciler.run(); // settle the startup pass
    let broken = true;
    t.sandbox.failNext({ status: 500, count: 1_000_000, match: () => broken });
    await t.api(`/agents/${a.agentId}/events`, {
      method: "POST",
      token: a.key,
      json: startEvent("wiki", webLabels("wiki.example.com")),
    });
    const failed = await json<{ errors: { scope: string }[] }>(
      await t.admin("/reconcile", { method: "POST" }),
    );
    expect(failed.errors).toEqual([expect.objectContaining({ scope: `tunnel:${a.agentId}` })]);
    const tunnels = await json<{ tunnels: { last_error: string | null }[] }>(
      await t.admin("/tunnels"),
    );
    expect(tunnels.tunnels[0]!.last_error).toEqual(expect.any(String));
    expect(JSON.stringify(tunnels)).not.toContain(t.sandbox.token);

    broken = false;
    const result = await json<Record<string, unknown>>(
      await t.admin("/reconcile", { method: "POST" }),
    );
    expect(result).toMatchObject({
      tunnels_created: 1,
      dns_written: 1,
      commands_enqueued: 1,
      errors: [],
    });
    const tunnelId = liveTunnels(t.sandbox)[0]!.id;
    expect(cnameOf(t.sandbox, "wiki.example.com")?.content).toBe(`${tunnelId}.cfargotunnel.com`);

    // A second pass finds nothing to do and writes nothing.
    const again = await json<Record<string, unknown>>(
      await t.admin("/reconcile", { method: "POST" }),
    );
    expect(again).toMatchObject({
      tunnels_created: 0,
      ingress_updated: 0,
      dns_written: 0,
      commands_enqueued: 0,
    });
  });

  it("never removes ingress rules the master does not manage", async () => {
    const tunnelId = liveTunnels(t.sandbox)[0]!.id;
    const config = t.sandbox.state.configurations.get(tunnelId)!;
    config.config = {
      ingress: [
        { hostname: "manual.example.com", service: "http://manual:1" },
        ...(config.config?.ingress ?? []),
      ],
    };
    await json(await t.admin("/reconcile", { method: "POST" }));
    expect(ingressOf(t.sandbox, tunnelId).map((r) => r.hostname ?? "*")).toEqual([
      "manual.example.com",
      "wiki.example.com",
      "*",
    ]);
  });

  it("is for operators only", async () => {
    await expectApiError(await t.api("/reconcile", { method: "POST" }), 401, "unauthorized");
  });
});
