import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnameOf, ingressOf, liveTunnels } from "../src/testing/cloudflare-view.ts";
import { json, startEvent, webLabels } from "../src/testing/expect.ts";
import { startTestMaster, type TestMaster } from "../src/testing/harness.ts";

type Rule = { hostname: string; state: string; grace_until: string | null };

describe("grace period (controllable clock)", () => {
  let t: TestMaster;
  let agent: { agentId: string; key: string };
  let tunnelId: string;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres", env: { GRACE_PERIOD_SECONDS: "600" } });
    agent = await t.registerAgent({ node_info: { node_id: "grace" } });
  });
  afterAll(() => t?.close());
  const event = (body: unknown) =>
    t.api(`/agents/${agent.agentId}/events`, { method: "POST", token: agent.key, json: body });
  const rules = async () => (await json<{ rules: Rule[] }>(await t.admin("/rules"))).rules;
  const labels = webLabels("shop.example.com");

  it("a stopped container's rule waits out the grace period, then ingress and DNS go", async () => {
    await json(await event(startEvent("shop", labels)));
    await t.master.reconciler.run();
    tunnelId = liveTunnels(t.sandbox)[0]!.id;
    expect(cnameOf(t.sandbox, "shop.example.com")).toBeDefined();

    await json(await event({ type: "container_stop", container: { name: "shop", labels } }));
    const stoppedAt = t.clock.now().getTime();
    expect(await rules()).toEqual([
      expect.objectContaining({
        state: "grace",
        grace_until: new Date(stoppedAt + 600_000).toISOString(),
      }),
    ]);
    // Just inside the grace period, nothing is removed.
    t.clock.advanceSeconds(599);
    expect(await json(await t.admin("/reconcile", { method: "POST" }))).toMatchObject({
      rules_expired: 0,
      dns_removed: 0,
    });
    expect(cnameOf(t.sandbox, "shop.example.com")).toBeDefined();
    expect(ingressOf(t.sandbox, tunnelId)).toHaveLength(2);

    t.clock.advanceSeconds(1);
    expect(await json(await t.admin("/reconcile", { method: "POST" }))).toMatchObject({
      rules_expired: 1,
      dns_removed: 1,
      ingress_updated: 1,
    });
    expect(await rules()).toEqual([]);
    expect(cnameOf(t.sandbox, "shop.example.com")).toBeUndefined();
    expect(ingressOf(t.sandbox, tunnelId)).toEqual([{ service: "http_status:404" }]);
  });

  it("a start within the grace period revives the rule; nothing is removed", async () => {
    await json(await event(startEvent("shop", labels)));
    await t.master.reconciler.run();
    await json(await event({ type: "container_stop", container: { name: "shop", labels } }));
    t.clock.advanceSeconds(300);
    await json(await event(startEvent("shop", labels)));
    expect(await rules()).toEqual([
      expect.objectContaining({ hostname: "shop.example.com", state: "active", grace_until: null }),
    ]);
    t.clock.advanceSeconds(3600);
    expect(await json(await t.admin("/reconcile", { method: "POST" }))).toMatchObject({
      rules_expired: 0,
      dns_removed: 0,
    });
    expect(cnameOf(t.sandbox, "shop.example.com")).toBeDefined();
  });

  it("a status report without the container puts its rule into grace; one with it revives it", async () => {
    await json(await event({ type: "status_report", container: { containers: [] } }));
    expect((await rules())[0]).toMatchObject({ state: "grace" });
    await json(
      await event({
        type: "status_report",
        container: { containers: [{ name: "shop", status: "running", labels }] },
      }),
    );
    expect((await rules())[0]).toMatchObject({ state: "active", grace_until: null });
  });
});
