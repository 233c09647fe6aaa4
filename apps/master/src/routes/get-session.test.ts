import { SessionInfo } from "@dockflow/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("GET /session", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres", env: { MASTER_SESSION_TTL: "600" } });
  });
  afterAll(() => t?.close());

  const signIn = async () => {
    const response = await t.api("/session", { method: "POST", json: { token: ADMIN_TOKEN } });
    const info = SessionInfo.parse(await json(response));
    return { info, cookie: response.headers.get("set-cookie")?.split(";")[0] ?? "" };
  };

  it("gives a reloaded page its CSRF token back while the cookie is valid", async () => {
    const { info, cookie } = await signIn();
    const again = SessionInfo.parse(await json(await t.api("/session", { headers: { cookie } })));
    expect(again).toEqual(info);
  });

  it("is 401 without a cookie, with an unknown one, with a bearer token, and after expiry", async () => {
    await expectApiError(await t.api("/session"), 401, "unauthorized");
    await expectApiError(
      await t.api("/session", { headers: { cookie: "dockflow_session=unknown" } }),
      401,
      "unauthorized",
    );
    await expectApiError(await t.admin("/session"), 401, "unauthorized");
    const { cookie } = await signIn();
    t.clock.advanceSeconds(599);
    expect((await t.api("/session", { headers: { cookie } })).status).toBe(200);
    t.clock.advanceSeconds(2);
    await expectApiError(await t.api("/session", { headers: { cookie } }), 401, "unauthorized");
    await expectApiError(await t.api("/agents", { headers: { cookie } }), 401, "unauthorized");
  });
});
