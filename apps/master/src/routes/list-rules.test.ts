import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json, startEvent } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { pageThrough } from "../testing/pages.ts";

describe("GET /rules", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("lists rules from DockFlare labels (indexed hostnames, path, zonename) and filters them", async () => {
    const a = await t.registerAgent({ node_info: { node_id: "lr" } });
    await t.api(`/agents/${a.agentId}/events`, {
      method: "POST",
      token: a.key,
      json: startEvent("app", {
        "dockflare.enable": "true",
        "dockflare.hostname": "app.example.com",
        "dockflare.service": "http://app:80",
        "dockflare.1.hostname": "app2.example.com",
        "dockflare.1.path": "/api",
        "dockflare.zonename": "example.com",
        "dockflare.no_tls_verify": "true",
      }),
    });
    const { rules } = await json<{ rules: Record<string, unknown>[] }>(await t.admin("/rules"));
    expect(rules).toEqual([
      expect.objectContaining({
        hostname: "app.example.com",
        path: null,
        service: "http://app:80",
        zone_name: "example.com",
        origin_request: { noTLSVerify: true },
        agent_id: a.agentId,
        source: "container:app",
        state: "active",
        target: { service: "app", port: 80 },
      }),
      expect.objectContaining({ hostname: "app2.example.com", path: "^/api(/.*)?$" }),
    ]);
    const graced = await json<{ rules: unknown[] }>(await t.admin("/rules?state=grace"));
    expect(graced.rules).toEqual([]);
    const byAgent = await json<{ rules: unknown[] }>(await t.admin(`/rules?agent_id=${a.agentId}`));
    expect(byAgent.rules).toHaveLength(2);
  });

  it("pages through filtered rules (q, state, agent_id), each exactly once, by hostname and path", async () => {
    const at = t.clock.now();
    const rule = (hostname: string, path: string, agent: string, state: "active" | "grace") => ({
      rule_key: `${hostname} ${path}`,
      hostname,
      path,
      service: "http://web:80",
      zone_name: null,
      origin_request: null,
      agent_id: agent,
      source: `container:${hostname}`,
      container_name: hostname,
      state,
      grace_until: state === "grace" ? at : null,
      replicas: null,
      created_at: at,
      updated_at: at,
    });
    const rows = [];
    for (let i = 0; i < 12; i++) {
      const host = `page${String(i).padStart(2, "0")}.paged.example.com`;
      // Two paths per hostname: the cursor must tell them apart.
      rows.push(rule(host, "", i % 2 ? "agent-pa" : "agent-pb", i % 3 ? "active" : "grace"));
      rows.push(rule(host, "^/api(/.*)?$", "agent-pa", "active"));
    }
    await t.master.db.insertInto("rules").values(rows).execute();
    const key = (r: { hostname: string; path: string | null }) => `${r.hostname} ${r.path ?? ""}`;
    const expected = rows.map((r) => `${r.hostname} ${r.path}`).sort();

    const all = await pageThrough<{ hostname: string; path: string | null }>(
      t,
      "/rules?q=PAGED.example&limit=5",
      "rules",
    );
    expect(all.pages).toBe(5);
    expect(all.items.map(key)).toEqual(expected);

    const filtered = await pageThrough<{ hostname: string; path: string | null; state: string }>(
      t,
      "/rules?q=paged&state=active&agent_id=agent-pa&limit=4",
      "rules",
    );
    expect(filtered.items.map(key)).toEqual(
      rows
        .filter((r) => r.state === "active" && r.agent_id === "agent-pa")
        .map((r) => `${r.hostname} ${r.path}`)
        .sort(),
    );
    const none = await json<{ rules: unknown[] }>(await t.admin("/rules?q=no-such-host"));
    expect(none).toEqual({ rules: [], next_cursor: null });
  });

  it("answers 400 for a bad filter and 401 without credentials", async () => {
    const error = await expectApiError(
      await t.admin("/rules?state=zombie"),
      400,
      "validation_error",
    );
    expect(error.issues?.[0]?.path).toBe("state");
    await expectApiError(await t.api("/rules"), 401, "unauthorized");
  });
});
