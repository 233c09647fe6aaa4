import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTunnelRow } from "../db/repositories/tunnels.ts";
import { expectApiError, json, startEvent, webLabels } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("GET /tunnels/{agent_id}/ingress", () => {
  let t: TestMaster;
  let agentId: string;
  let tunnelId: string;
  const configPath = () => `/accounts/${t.sandbox.accountId}/cfd_tunnel/${tunnelId}/configurations`;

  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
    const a = await t.registerAgent({ node_info: { node_id: "ti" } });
    agentId = a.agentId;
    await t.api(`/agents/${agentId}/events`, {
      method: "POST",
      token: a.key,
      json: startEvent("docs", webLabels("docs.example.com")),
    });
    await t.master.reconciler.run();
    const { tunnel } = await json<{ tunnel: { tunnel_id: string } }>(
      await t.admin(`/agents/${agentId}`),
    );
    tunnelId = tunnel.tunnel_id;
  });
  afterAll(() => t?.close());

  it("lists the managed entry next to one the operator placed in Cloudflare, then the catch-all", async () => {
    const stored = t.sandbox.state.configurations.get(tunnelId);
    if (!stored?.config) throw new Error("the reconciler wrote no configuration");
    stored.config.ingress = [
      { hostname: "legacy.example.com", path: "^/old", service: "http://legacy:80" },
      ...(stored.config.ingress ?? []),
    ];

    const response = await t.admin(`/tunnels/${agentId}/ingress`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      agent_id: agentId,
      tunnel_id: tunnelId,
      ingress: [
        {
          hostname: "legacy.example.com",
          path: "^/old",
          service: "http://legacy:80",
          managed: false,
        },
        {
          hostname: "docs.example.com",
          path: null,
          service: expect.stringMatching(/^http:\/\//),
          managed: true,
        },
      ],
      catch_all: "http_status:404",
    });
  });

  it("is 404 for an agent without a tunnel in Cloudflare", async () => {
    await ensureTunnelRow(t.master.db, "agent-pending", "dockflow-agent-pending", t.clock.now());
    await expectApiError(await t.admin("/tunnels/agent-pending/ingress"), 404, "not_found");
    await expectApiError(await t.admin("/tunnels/no-such-agent/ingress"), 404, "not_found");
  });

  it("is 502 upstream_error when Cloudflare fails", async () => {
    t.sandbox.failNext({
      status: 403,
      message: "Authentication error",
      match: (method, path) => method === "GET" && path === configPath(),
    });
    const body = await expectApiError(
      await t.admin(`/tunnels/${agentId}/ingress`),
      502,
      "upstream_error",
    );
    expect(body).toEqual({
      error: "upstream_error",
      message: expect.stringMatching(/^Cloudflare request failed: .*Authentication error/),
    });
  });

  it("is for operators only", async () => {
    await expectApiError(await t.api(`/tunnels/${agentId}/ingress`), 401, "unauthorized");
  });
});
