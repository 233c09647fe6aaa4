import { SessionInfo } from "@dockflow/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { expectApiError, json } from "../testing/expect.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "../testing/harness.ts";

const cookieOf = (response: Response) => response.headers.get("set-cookie") ?? "";

describe("POST /session", () => {
  let t: TestMaster;
  const lines: string[] = [];
  beforeAll(async () => {
    const logger = createLogger("trace", { write: (line: string) => void lines.push(line) });
    t = await startTestMaster({ database: "postgres", logger, env: { TRUST_PROXY: "true" } });
  });
  afterAll(() => t?.close());

  it("signs in with the admin token: an HttpOnly SameSite=Strict cookie, the CSRF token in the body", async () => {
    const response = await t.api("/session", { method: "POST", json: { token: ADMIN_TOKEN } });
    const body = SessionInfo.parse(await json(response));
    expect(body.expires_at).toBe(new Date(t.clock.now().getTime() + 12 * 3600_000).toISOString());
    expect(response.headers.get("cache-control")).toBe("no-store");
    const cookie = cookieOf(response);
    expect(cookie).toMatch(/^dockflow_session=[A-Za-z0-9_-]{40,}; /);
    expect(cookie.split("; ").slice(1).sort()).toEqual(
      [
        `Expires=${new Date(body.expires_at).toUTCString()}`,
        "HttpOnly",
        "Path=/",
        "SameSite=Strict",
      ].sort(),
    );
    // Neither the token nor the session id is in the body.
    const session = cookie.split(";")[0]?.split("=")[1] ?? "";
    expect(JSON.stringify(body)).not.toContain(session);
    // The cookie works on operator routes.
    const agents = await t.api("/agents", { headers: { cookie: `dockflow_session=${session}` } });
    expect(agents.status).toBe(200);
    // Only a hash of the session id is stored.
    const stored = await t.master.db.selectFrom("sessions").selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(session);
  });

  it("marks the cookie Secure when a trusted proxy says the request came over https", async () => {
    const response = await t.api("/session", {
      method: "POST",
      json: { token: ADMIN_TOKEN },
      headers: { "x-forwarded-proto": "https" },
    });
    expect(cookieOf(response).split("; ")).toContain("Secure");
  });

  it("refuses a wrong token (401), a missing one (400), and never logs tokens or session ids", async () => {
    await expectApiError(
      await t.api("/session", { method: "POST", json: { token: "wrong-admin-token-000000" } }),
      401,
      "unauthorized",
    );
    expect(cookieOf(await t.api("/session", { method: "POST", json: { token: "nope" } }))).toBe("");
    const missing = await expectApiError(
      await t.api("/session", { method: "POST", json: {} }),
      400,
      "validation_error",
    );
    expect(missing.issues?.map((i) => i.path)).toEqual(["token"]);
    const signedIn = await t.api("/session", { method: "POST", json: { token: ADMIN_TOKEN } });
    const { csrf_token } = SessionInfo.parse(await json(signedIn));
    const session = cookieOf(signedIn).split(";")[0]?.split("=")[1] ?? "";
    const logs = lines.join("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [ADMIN_TOKEN, "wrong-admin-token-000000", session, csrf_token]) {
      expect(logs).not.toContain(secret);
    }
  });

  it("rate limits failed sign-ins per client address (429)", async () => {
    const limited = await startTestMaster({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: "2" } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await limited.api("/session", {
          method: "POST",
          json: { token: `wrong-${i}-000000000000000` },
        });
        await response.body?.cancel();
        statuses.push(response.status);
      }
      expect(statuses).toEqual([401, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
