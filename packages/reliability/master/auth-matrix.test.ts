import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isDocumentedClientError,
  startTestMaster,
  type TestMaster,
} from "../src/master-harness.ts";

/**
 * The authorization matrix of every master route: no key, a wrong key, a revoked key, another
 * agent's key, a key not yet bound to an agent, an agent key on operator routes, the admin token
 * on agent routes, and the rightful caller. The route list is checked against the OpenAPI
 * document, so a route added later without a row here fails this test.
 */

type Caller = "none" | "wrong" | "revoked" | "other_agent" | "unbound" | "own_agent" | "admin";
const CALLERS: Caller[] = [
  "none",
  "wrong",
  "revoked",
  "other_agent",
  "unbound",
  "own_agent",
  "admin",
];

/** `session`: the console's own session routes, which take the session cookie and no bearer token. */
type Kind = "public" | "admin" | "agent" | "admin_or_agent" | "register" | "session";

interface RouteCase {
  method: string;
  /** The OpenAPI path (`{id}` placeholders). */
  template: string;
  kind: Kind;
  path(ctx: Ctx): string;
  body?(ctx: Ctx): unknown;
  /** A documented answer that also shows an allowed caller got past authorization. */
  allowedStatus?: number;
}

interface Ctx {
  admin: string;
  me: { agentId: string; key: string; keyId: string };
  other: { agentId: string; key: string };
  /** An agent removed by each admin DELETE /agents/{id} check. */
  victim(): Promise<string>;
  /** A key revoked by each admin DELETE /keys/{id} check. */
  spareKey(): Promise<string>;
  /** A webhook (its URL refuses connections: nothing is ever delivered). */
  webhookId: string;
  /** A webhook removed by each admin DELETE /webhooks/{id} check. */
  spareWebhook(): Promise<string>;
}

const WEBHOOK = {
  url: "http://127.0.0.1:9/matrix",
  events: ["agent_offline"],
  secret: "matrix-webhook-secret",
};

const ROUTES: RouteCase[] = [
  { method: "GET", template: "/health", kind: "public", path: () => "/api/v2/health" },
  { method: "GET", template: "/openapi.json", kind: "public", path: () => "/api/v2/openapi.json" },
  {
    method: "POST",
    template: "/agents/register",
    kind: "register",
    path: () => "/api/v2/agents/register",
    body: () => ({ display_name: "matrix", version: "1.0.0", mode: "standalone" }),
  },
  {
    method: "POST",
    template: "/agents/{id}/events",
    kind: "agent",
    path: (c) => `/api/v2/agents/${c.me.agentId}/events`,
    body: () => ({ type: "heartbeat" }),
  },
  {
    method: "GET",
    template: "/agents/{id}/commands",
    kind: "agent",
    path: (c) => `/api/v2/agents/${c.me.agentId}/commands?wait=0`,
  },
  {
    method: "POST",
    template: "/agents/{id}/commands",
    kind: "admin_or_agent",
    path: (c) => `/api/v2/agents/${c.me.agentId}/commands`,
    body: () => ({ commands: [{ action: "restart_tunnel", tunnel_id: "matrix" }] }),
  },
  { method: "GET", template: "/agents", kind: "admin", path: () => "/api/v2/agents" },
  {
    method: "GET",
    template: "/agents/{id}",
    kind: "admin",
    path: (c) => `/api/v2/agents/${c.me.agentId}`,
  },
  {
    method: "DELETE",
    template: "/agents/{id}",
    kind: "admin",
    // Each call targets its own throwaway agent, so a wrongly allowed call shows as a 204.
    path: () => "",
  },
  { method: "GET", template: "/tunnels", kind: "admin", path: () => "/api/v2/tunnels" },
  {
    method: "GET",
    template: "/tunnels/{agent_id}/ingress",
    kind: "admin",
    path: (c) => `/api/v2/tunnels/${c.me.agentId}/ingress`,
    // The matrix's agent has no tunnel in Cloudflare: the handler's 404 comes after the guard.
    allowedStatus: 404,
  },
  { method: "GET", template: "/rules", kind: "admin", path: () => "/api/v2/rules" },
  {
    method: "POST",
    template: "/keys",
    kind: "admin",
    path: () => "/api/v2/keys",
    body: () => ({ name: "matrix" }),
  },
  { method: "GET", template: "/keys", kind: "admin", path: () => "/api/v2/keys" },
  { method: "DELETE", template: "/keys/{id}", kind: "admin", path: () => "" },
  { method: "POST", template: "/reconcile", kind: "admin", path: () => "/api/v2/reconcile" },
  { method: "GET", template: "/activity", kind: "admin", path: () => "/api/v2/activity" },
  // An event stream: the matrix reads its status and headers only.
  { method: "GET", template: "/stream", kind: "admin", path: () => "/api/v2/stream" },
  {
    method: "GET",
    template: "/console/config",
    kind: "public",
    path: () => "/api/v2/console/config",
  },
  // Signing in takes the admin token from the body; the Authorization header plays no part.
  {
    method: "POST",
    template: "/session",
    kind: "public",
    path: () => "/api/v2/session",
    body: (c) => ({ token: c.admin }),
  },
  { method: "GET", template: "/session", kind: "session", path: () => "/api/v2/session" },
  { method: "DELETE", template: "/session", kind: "session", path: () => "/api/v2/session" },
  { method: "GET", template: "/webhooks", kind: "admin", path: () => "/api/v2/webhooks" },
  {
    method: "POST",
    template: "/webhooks",
    kind: "admin",
    path: () => "/api/v2/webhooks",
    body: () => WEBHOOK,
  },
  // Each call targets its own throwaway webhook, so a wrongly allowed call shows as a 204.
  { method: "DELETE", template: "/webhooks/{id}", kind: "admin", path: () => "" },
  {
    method: "POST",
    template: "/webhooks/{id}/test",
    kind: "admin",
    path: (c) => `/api/v2/webhooks/${c.webhookId}/test`,
  },
  {
    method: "GET",
    template: "/webhooks/{id}/deliveries",
    kind: "admin",
    path: (c) => `/api/v2/webhooks/${c.webhookId}/deliveries`,
  },
];

/** The status each caller must get on each kind of route. */
function expected(kind: Kind, caller: Caller): number | "ok" {
  if (kind === "public") return "ok";
  if (caller === "none" || caller === "wrong" || caller === "revoked") return 401;
  switch (kind) {
    case "session":
      // No bearer token, not even the admin's, is a session.
      return 401;
    case "admin":
      return caller === "admin" ? "ok" : 403;
    case "register":
      // Any live agent key may register (an unbound one binds itself); the admin token is no agent key.
      if (caller === "admin") return 401;
      // `other_agent` re-registers as itself: allowed, it is its own identity.
      return "ok";
    case "agent":
      if (caller === "admin") return 401;
      return caller === "own_agent" ? "ok" : 403;
    case "admin_or_agent":
      return caller === "own_agent" || caller === "admin" ? "ok" : 403;
  }
}

describe("authorization matrix of every master route", () => {
  let master: TestMaster;
  let ctx: Ctx;
  let revokedKey: string;
  let unboundKey: string;

  beforeAll(async () => {
    master = await startTestMaster();
    const client = master.client;
    const me = await client.newAgent("matrix-me");
    const other = await client.newAgent("matrix-other");
    const revoked = await client.newAgent("matrix-revoked");
    await client.ok("DELETE", `/api/v2/keys/${revoked.keyId}`);
    revokedKey = revoked.key;
    unboundKey = (await client.issueKey("matrix-unbound")).key;
    ctx = {
      admin: master.admin,
      me,
      other,
      victim: async () => (await client.newAgent("matrix-victim")).agentId,
      spareKey: async () => (await client.issueKey("matrix-spare")).id,
      webhookId: (await client.ok<{ id: string }>("POST", "/api/v2/webhooks", { json: WEBHOOK }))
        .id,
      spareWebhook: async () =>
        (await client.ok<{ id: string }>("POST", "/api/v2/webhooks", { json: WEBHOOK })).id,
    };
  }, 120_000);

  afterAll(async () => {
    await master?.close();
  }, 120_000);

  it("lists exactly the routes of the OpenAPI document", async () => {
    const doc = await master.client.ok<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/api/v2/openapi.json",
    );
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = ROUTES.filter((r) => r.template !== "/openapi.json").map(
      (r) => `${r.method} ${r.template}`,
    );
    expect(new Set(covered)).toEqual(new Set(documented));
  });

  const tokenOf = (caller: Caller): string | undefined => {
    switch (caller) {
      case "none":
        return undefined;
      case "wrong":
        return `dfa_${randomBytes(32).toString("base64url")}`;
      case "revoked":
        return revokedKey;
      case "other_agent":
        return ctx.other.key;
      case "unbound":
        return unboundKey;
      case "own_agent":
        return ctx.me.key;
      case "admin":
        return master.admin;
    }
  };

  /** The event stream never ends: its status, and its body only when it is an error. */
  const streamReply = async (path: string, token: string | undefined) => {
    const response = await fetch(`${master.client.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (response.ok) {
      await response.body?.cancel();
      return { status: response.status, text: "", json: undefined };
    }
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as unknown };
  };

  for (const route of ROUTES) {
    it(`${route.method} ${route.template}`, async () => {
      const outcomes: string[] = [];
      for (const caller of CALLERS) {
        // The unbound key must stay unbound for the rows after register: register binds it.
        if (route.kind === "register" && caller === "unbound") {
          unboundKey = (await master.client.issueKey("matrix-unbound-2")).key;
        }
        let path = route.path(ctx);
        if (route.template === "/agents/{id}" && route.method === "DELETE") {
          path = `/api/v2/agents/${await ctx.victim()}`;
        }
        if (route.template === "/keys/{id}") path = `/api/v2/keys/${await ctx.spareKey()}`;
        if (route.template === "/webhooks/{id}") {
          path = `/api/v2/webhooks/${await ctx.spareWebhook()}`;
        }
        const reply =
          route.template === "/stream"
            ? await streamReply(path, tokenOf(caller))
            : await master.client.request(route.method, path, {
                token: tokenOf(caller),
                ...(route.body ? { json: route.body(ctx) } : {}),
              });
        if (route.kind === "register" && caller === "unbound") {
          unboundKey = (await master.client.issueKey("matrix-unbound-3")).key;
        }
        const want = expected(route.kind, caller);
        const got =
          want === "ok"
            ? (reply.status >= 200 && reply.status < 300) ||
              (reply.status === route.allowedStatus && isDocumentedClientError(reply))
              ? "ok"
              : `${reply.status} ${reply.text.slice(0, 200)}`
            : reply.status === want && isDocumentedClientError(reply)
              ? want
              : `${reply.status} ${reply.text.slice(0, 200)}`;
        outcomes.push(
          `${caller}: ${got === want ? "as expected" : `expected ${want}, got ${got}`}`,
        );
      }
      expect(outcomes).toEqual(CALLERS.map((c) => `${c}: as expected`));
    });
  }

  it("never accepts the admin token with a different case or extra characters", async () => {
    for (const variant of [
      master.admin.toUpperCase(),
      `${master.admin}x`,
      master.admin.slice(0, -1),
      `${master.admin.slice(0, 20)} ${master.admin.slice(20)}`,
    ]) {
      const reply = await master.client.request("GET", "/api/v2/agents", { token: variant });
      expect(reply.status).toBe(401);
      expect(isDocumentedClientError(reply)).toBe(true);
    }
    const basic = await master.client.request("GET", "/api/v2/agents", {
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${master.admin}`).toString("base64")}`,
      },
    });
    expect(basic.status).toBe(401);
  });

  it("takes revocation into effect on the next request", async () => {
    const agent = await master.client.newAgent("matrix-live");
    const path = `/api/v2/agents/${agent.agentId}/events`;
    const before = await master.client.request("POST", path, {
      token: agent.key,
      json: { type: "heartbeat" },
    });
    expect(before.status).toBe(200);
    await master.client.ok("DELETE", `/api/v2/keys/${agent.keyId}`);
    const after = await master.client.request("POST", path, {
      token: agent.key,
      json: { type: "heartbeat" },
    });
    expect(after.status).toBe(401);
    expect(isDocumentedClientError(after)).toBe(true);
  });
});
