import { SessionInfo } from "@dockflow/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("DELETE /session", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  const signIn = async () => {
    const response = await t.api("/session", { method: "POST", json: { token: ADMIN_TOKEN } });
    const { csrf_token } = SessionInfo.parse(await json(response));
    return { csrf: csrf_token, cookie: response.headers.get("set-cookie")?.split(";")[0] ?? "" };
  };

  it("signs out: revoked on the server (the old cookie no longer works) and the cookie cleared", async () => {
    const { csrf, cookie } = await signIn();
    const response = await t.api("/session", {
      method: "DELETE",
      headers: { cookie, "x-csrf-token": csrf },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("set-cookie")).toMatch(/^dockflow_session=; Max-Age=0; /);
    await expectApiError(await t.api("/session", { headers: { cookie } }), 401, "unauthorized");
    await expectApiError(await t.api("/agents", { headers: { cookie } }), 401, "unauthorized");
  });

  it("needs the session's CSRF token (403) and a session (401)", async () => {
    const { csrf, cookie } = await signIn();
    await expectApiError(
      await t.api("/session", { method: "DELETE", headers: { cookie } }),
      403,
      "forbidden",
    );
    await expectApiError(
      await t.api("/session", {
        method: "DELETE",
        headers: { cookie, "x-csrf-token": `${csrf}x` },
      }),
      403,
      "forbidden",
    );
    // Still signed in after the refused attempts.
    expect((await t.api("/session", { headers: { cookie } })).status).toBe(200);
    await expectApiError(
      await t.api("/session", { method: "DELETE", headers: { "x-csrf-token": csrf } }),
      401,
      "unauthorized",
    );
  });
});
