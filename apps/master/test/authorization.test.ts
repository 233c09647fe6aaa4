import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestMaster, type TestMaster } from "../src/testing/harness.ts";

type Who =
  | "none"
  | "wrong"
  | "revoked"
  | "other-agent"
  | "own-agent"
  | "admin"
  | "session"
  | "session-without-csrf";

describe("authorization matrix", () => {
  let t: TestMaster;
  let own: { agentId: string; key: string };
  let other: { agentId: string; key: string };
  let revokedKey: string;
  let session: { cookie: string; csrf: string };
  beforeAll(async () => {
    t = await startTestMaster({
      database: "postgres",
      env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "1000" },
    });
    own = await t.registerAgent({ node_info: { node_id: "own" } });
    other = await t.registerAgent({ node_info: { node_id: "other" } });
    const revoked = await t.master.keys.issue("revoked");
    await t.master.keys.revoke(revoked.id);
    revokedKey = revoked.key;
    const signIn = await t.api("/session", {
      method: "POST",
      json: { token: "test-admin-token-0123456789abcdef" },
    });
    const { csrf_token } = (await signIn.json()) as { csrf_token: string };
    session = { cookie: signIn.headers.get("set-cookie")?.split(";")[0] ?? "", csrf: csrf_token };
  });
  afterAll(() => t?.close());

  const token = (who: Who): string | undefined =>
    ({
      none: undefined,
      wrong: "dfa_wrong",
      revoked: revokedKey,
      "other-agent": other.key,
      "own-agent": own.key,
      admin: "test-admin-token-0123456789abcdef",
      session: undefined,
      "session-without-csrf": undefined,
    })[who];

  const agentRoutes = () => [
    { method: "POST", path: `/agents/${own.agentId}/events`, json: { type: "heartbeat" } },
    { method: "GET", path: `/agents/${own.agentId}/commands` },
  ];
  const adminRoutes = () => [
    { method: "GET", path: "/agents" },
    { method: "GET", path: `/agents/${own.agentId}` },
    { method: "GET", path: "/tunnels" },
    { method: "GET", path: "/rules" },
    { method: "GET", path: "/keys" },
    { method: "GET", path: "/activity" },
    { method: "GET", path: "/stream" },
    { method: "POST", path: "/keys", json: { name: "x" } },
    { method: "DELETE", path: "/keys/key_unknown" },
    { method: "POST", path: "/reconcile" },
    { method: "DELETE", path: "/agents/agent-unknown" },
  ];

  const call = (route: { method: string; path: string; json?: unknown }, who: Who) => {
    const key = token(who);
    const headers: Record<string, string> = {};
    if (who === "session" || who === "session-without-csrf") headers.cookie = session.cookie;
    if (who === "session") headers["x-csrf-token"] = session.csrf;
    return t.api(route.path, {
      method: route.method,
      headers,
      ...(key ? { token: key } : {}),
      ...(route.json ? { json: route.json } : {}),
    });
  };

  const agentExpectations: Record<Who, number> = {
    none: 401,
    wrong: 401,
    revoked: 401,
    "other-agent": 403,
    "own-agent": 200,
    admin: 401,
    session: 401,
    "session-without-csrf": 401,
  };
  const adminExpectations: Record<Who, number[]> = {
    none: [401],
    wrong: [401],
    revoked: [401],
    "other-agent": [403],
    "own-agent": [403],
    admin: [200, 201, 404],
    session: [200, 201, 404],
    // Reading is fine; changing state without the CSRF header is not.
    "session-without-csrf": [],
  };

  it("agent routes: only the agent's own key", async () => {
    for (const route of agentRoutes()) {
      for (const who of Object.keys(agentExpectations) as Who[]) {
        const response = await call(route, who);
        await response.body?.cancel();
        expect({ route: route.path, who, status: response.status }).toEqual({
          route: route.path,
          who,
          status: agentExpectations[who],
        });
      }
    }
  });

  it("operator routes: only the admin token (an agent key is 403)", async () => {
    for (const route of adminRoutes()) {
      for (const who of Object.keys(adminExpectations) as Who[]) {
        const response = await call(route, who);
        await response.body?.cancel();
        const expected =
          who === "session-without-csrf"
            ? [route.method === "GET" ? 200 : 403]
            : adminExpectations[who];
        expect(expected, `${route.method} ${route.path} as ${who}`).toContain(response.status);
      }
    }
  });

  it("queueing commands: the admin token, a session with its CSRF token, or the agent's own key", async () => {
    const route = {
      method: "POST",
      path: `/agents/${own.agentId}/commands`,
      json: { commands: [{ action: "restart_tunnel", tunnel_id: "t" }] },
    };
    const statuses: Record<string, number> = {};
    for (const who of [
      "none",
      "admin",
      "session",
      "session-without-csrf",
      "own-agent",
      "other-agent",
    ] as Who[]) {
      const response = await call(route, who);
      await response.body?.cancel();
      statuses[who] = response.status;
    }
    expect(statuses).toEqual({
      none: 401,
      admin: 201,
      session: 201,
      "session-without-csrf": 403,
      "own-agent": 201,
      "other-agent": 403,
    });
  });

  it("failed authentications are rate limited per client address", async () => {
    const limited = await startTestMaster({
      database: "postgres",
      env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "3" },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await limited.api("/agents", { token: "wrong-token-000000000000" });
        await response.body?.cancel();
        statuses.push(response.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Even the right token waits until the window passes.
      expect((await limited.admin("/agents")).status).toBe(429);
      limited.clock.advanceSeconds(61);
      expect((await limited.admin("/agents")).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
