import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json, startEvent } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

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
