import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cnameOf, ingressOf, liveTunnels } from "../src/testing/cloudflare-view.ts";
import { json, startEvent, webLabels } from "../src/testing/expect.ts";
import { startTestMaster, type TestMaster } from "../src/testing/harness.ts";

/** Access from labels against the Cloudflare stand-in: failing closed, in order. */
describe("Cloudflare Access from labels", () => {
  let t: TestMaster;
  let agent: { agentId: string; key: string };
  beforeAll(async () => {
    t = await startTestMaster({ env: { GRACE_PERIOD_SECONDS: "1" } });
    agent = await t.registerAgent({ node_info: { node_id: "access" } });
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    t.sandbox.state.requests.length = 0;
  });

  const event = (body: unknown) =>
    t.api(`/agents/${agent.agentId}/events`, { method: "POST", token: agent.key, json: body });
  const reconcile = async () =>
    json<{ errors: unknown[] }>(await t.admin("/reconcile", { method: "POST" }));
  const tunnelId = () => liveTunnels(t.sandbox)[0]?.id ?? "";
  const apps = () => [...t.sandbox.state.accessApps.values()];
  const writes = () =>
    t.sandbox.state.requests
      .filter((r) => r.method !== "GET")
      .map(
        (r) =>
          `${r.method} ${r.path.replace(/^\/(accounts|zones)\/[^/]+/, "").replace(/\/[0-9a-f-]{32,36}(?=\/|$)/g, "/:id")}`,
      );
  const protectedLabels = (hostname: string, extra: Record<string, string> = {}) => ({
    ...webLabels(hostname),
    "dockflare.access.policy": "allow",
    "dockflare.access.emails": "ops@example.com",
    ...extra,
  });

  it("creates the application (with its policy) before the ingress, and the ingress before DNS", async () => {
    await json(await event(startEvent("admin", protectedLabels("admin.example.com"))));
    await t.master.reconciler.run();
    const [app] = apps();
    expect(app).toMatchObject({
      type: "self_hosted",
      domain: "admin.example.com",
      tags: ["dockflow"],
      policies: [{ id: expect.any(String), precedence: 1 }],
    });
    const policy = t.sandbox.state.accessPolicies.get(app?.policies[0]?.id ?? "");
    expect(policy).toMatchObject({
      decision: "allow",
      include: [{ email: { email: "ops@example.com" } }],
    });
    expect(ingressOf(t.sandbox, tunnelId())).toEqual([
      {
        hostname: "admin.example.com",
        service: "http://admin:8080",
        originRequest: {
          access: { required: true, teamName: "dockflow-sandbox", audTag: [app?.aud] },
        },
      },
      { service: "http_status:404" },
    ]);
    expect(cnameOf(t.sandbox, "admin.example.com")).toBeDefined();
    const order = writes().filter((w) =>
      /access\/(apps|policies)$|configurations|dns_records$/.test(w),
    );
    expect(order).toEqual([
      "POST /access/policies",
      "POST /access/apps",
      "PUT /cfd_tunnel/:id/configurations",
      "POST /dns_records",
    ]);
  });

  it("publishes nothing while the application cannot be created, then publishes it", async () => {
    await json(await event(startEvent("billing", protectedLabels("billing.example.net"))));
    const failed = await reconcile();
    expect(failed.errors).toContainEqual({
      scope: "access:billing.example.net ",
      message: expect.stringContaining("domain does not belong to zone"),
    });
    expect(ingressOf(t.sandbox, tunnelId()).map((r) => r.hostname)).not.toContain(
      "billing.example.net",
    );
    expect(cnameOf(t.sandbox, "billing.example.net")).toBeUndefined();
    expect(t.sandbox.state.accessPolicies.size).toBe(apps().length);
    // The zone appears in the account: the application can be made, then the rest follows.
    t.sandbox.addZone({ name: "example.net" });
    expect(await reconcile()).toMatchObject({ errors: [] });
    expect(
      apps()
        .map((a) => a.domain)
        .sort(),
    ).toEqual(["admin.example.com", "billing.example.net"]);
    expect(cnameOf(t.sandbox, "billing.example.net")).toBeDefined();
  });

  it.each([
    ["bypass mixed with emails", { "dockflare.access.policy": "bypass" }],
    [
      "DockFlare's label misspelt",
      { "dockflare.access.policy": undefined, "dockflare.acess.policy": "allow" },
    ],
  ])("never publishes a hostname whose access labels are refused (%s)", async (_case, extra) => {
    const labels = Object.fromEntries(
      Object.entries(protectedLabels("typo.example.com", extra as Record<string, string>)).filter(
        ([, v]) => v !== undefined,
      ),
    );
    const accepted = await json<{ warnings?: { label: string }[] }>(
      await event(startEvent("typo", labels)),
    );
    expect(accepted.warnings?.length).toBe(1);
    await t.master.reconciler.run();
    expect(ingressOf(t.sandbox, tunnelId()).map((r) => r.hostname)).not.toContain(
      "typo.example.com",
    );
    expect(cnameOf(t.sandbox, "typo.example.com")).toBeUndefined();
  });

  it("answers 503 on a protected path Access cannot express, while the rest of the hostname stays up", async () => {
    await json(
      await event(
        startEvent("mixed", {
          "dockflare.enable": "true",
          "dockflare.service": "http://mixed:80",
          "dockflare.0.hostname": "mixed.example.com",
          "dockflare.1.hostname": "mixed.example.com",
          "dockflare.1.path": "^/adm.n",
          "dockflare.1.access.policy": "deny",
        }),
      ),
    );
    await t.master.reconciler.run();
    const mixed = ingressOf(t.sandbox, tunnelId()).filter(
      (r) => r.hostname === "mixed.example.com",
    );
    expect(mixed).toEqual([
      { hostname: "mixed.example.com", path: "^/adm.n", service: "http_status:503" },
      { hostname: "mixed.example.com", service: "http://mixed:80" },
    ]);
    expect(apps().map((a) => a.domain)).not.toContain("mixed.example.com");
  });

  it("takes DNS, then ingress away before deleting the application and its policy", async () => {
    const app = apps().find((a) => a.domain === "admin.example.com");
    await json(
      await event({
        type: "container_stop",
        container: { name: "admin", labels: protectedLabels("admin.example.com") },
      }),
    );
    t.clock.advanceSeconds(2);
    await t.master.reconciler.run();
    expect(cnameOf(t.sandbox, "admin.example.com")).toBeUndefined();
    expect(apps().map((a) => a.domain)).not.toContain("admin.example.com");
    expect(t.sandbox.state.accessPolicies.has(app?.policies[0]?.id ?? "")).toBe(false);
    const order = writes().filter((w) => /access|configurations|dns_records/.test(w));
    expect(order.indexOf("DELETE /access/apps/:id")).toBeGreaterThan(
      order.indexOf("DELETE /dns_records/:id"),
    );
    expect(order.indexOf("DELETE /access/apps/:id")).toBeGreaterThan(
      order.indexOf("PUT /cfd_tunnel/:id/configurations"),
    );
    expect(order.at(-1)).toBe("DELETE /access/policies/:id");
  });
});
