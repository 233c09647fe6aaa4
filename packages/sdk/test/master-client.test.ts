import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentWalkthrough } from "../examples/master.ts";
import { SDK_DIR } from "../scripts/lib/outputs.ts";
import {
  createMasterClient,
  isMasterApiError,
  MasterApiError,
  type MasterClient,
} from "../src/index.ts";
import { SANDBOX_ZONE, startTestMaster, type TestMaster } from "./support/master.ts";

describe("master client against a real master", () => {
  let master: TestMaster;
  let admin: MasterClient;
  const quiet = () => undefined;

  beforeAll(async () => {
    master = await startTestMaster();
    admin = createMasterClient({ baseUrl: master.url, token: master.adminToken });
  });
  afterAll(async () => {
    await master?.close();
  });

  it("is typed from the document the running master serves", async () => {
    const served = await (await fetch(`${master.url}/api/v2/openapi.json`)).json();
    const committed = JSON.parse(await readFile(join(SDK_DIR, "generated/openapi.json"), "utf8"));
    expect(committed, "stale generated/openapi.json: run `pnpm generate`").toEqual(served);
  });

  it("walks an agent through registration, an event, rules, reconcile and its commands", async () => {
    const hostname = `app.${SANDBOX_ZONE}`;
    const result = await agentWalkthrough(admin, { hostname, log: quiet });
    expect(result.accepted).toMatchObject({ status: "accepted", duplicate: false });
    expect(result.rules).toEqual([expect.objectContaining({ hostname, service: "http://web:80" })]);
    expect(result.commands.map((c) => c.action)).toContain("start_tunnel");

    const { agents } = await admin.GET("/agents");
    expect(agents.map((a) => a.agent_id)).toContain(result.agentId);
    const agent = await admin.GET("/agents/{id}", { params: { path: { id: result.agentId } } });
    expect(agent.agent_id).toBe(result.agentId);
    const { tunnels } = await admin.GET("/tunnels");
    expect(tunnels.map((t) => t.agent_id)).toContain(result.agentId);

    // 204: resolves with no body.
    await expect(
      admin.DELETE("/agents/{id}", { params: { path: { id: result.agentId } } }),
    ).resolves.toBeUndefined();
    await expect(
      admin.GET("/agents/{id}", { params: { path: { id: result.agentId } } }),
    ).rejects.toMatchObject({ status: 404, error: "not_found" });
  });

  it("signs in like the console: the session cookie, and X-CSRF-Token on state changes only", async () => {
    const anonymous = createMasterClient({ baseUrl: master.url });
    const signIn = await anonymous.raw.POST("/session", { body: { token: master.adminToken } });
    const cookie = signIn.response.headers.get("set-cookie")?.split(";")[0] ?? "";
    const csrf = signIn.data?.csrf_token ?? "";
    const seen: Request[] = [];
    let current: string | undefined = csrf;
    const console = createMasterClient({
      baseUrl: master.url,
      headers: { cookie },
      credentials: "include",
      csrfToken: () => current,
      fetch: (request) => {
        seen.push(request.clone());
        return fetch(request);
      },
    });
    expect(await console.GET("/session")).toEqual({
      csrf_token: csrf,
      expires_at: expect.any(String),
    });
    const issued = await console.POST("/keys", { body: { name: "from the console" } });
    expect(issued.name).toBe("from the console");
    expect(seen.map((r) => [r.method, r.headers.get("x-csrf-token"), r.credentials])).toEqual([
      ["GET", null, "include"],
      ["POST", csrf, "include"],
    ]);
    current = undefined;
    await expect(console.POST("/keys", { body: { name: "no csrf" } })).rejects.toMatchObject({
      status: 403,
      error: "forbidden",
    });
    current = csrf;
    await expect(console.DELETE("/session")).resolves.toBeUndefined();
    await expect(console.GET("/agents")).rejects.toMatchObject({ status: 401 });
  });

  it("issues, lists and revokes keys", async () => {
    const issued = await admin.POST("/keys", { body: { name: "to revoke" } });
    const { keys } = await admin.GET("/keys");
    expect(keys.find((k) => k.id === issued.id)).toMatchObject({ name: "to revoke" });
    expect(JSON.stringify(keys)).not.toContain(issued.key);
    const revoked = await admin.DELETE("/keys/{id}", { params: { path: { id: issued.id } } });
    expect(revoked.revoked_at).not.toBeNull();
    const agent = admin.withToken(issued.key);
    await expect(
      agent.POST("/agents/register", {
        body: { display_name: "revoked", version: "1", mode: "standalone" },
      }),
    ).rejects.toMatchObject({ status: 401, error: "unauthorized" });
  });

  it("rejects with MasterApiError carrying status, error, message and issues", async () => {
    const anonymous = createMasterClient({ baseUrl: master.url });
    const denied = await anonymous.GET("/agents").catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(MasterApiError);
    expect(denied).toMatchObject({ status: 401, error: "unauthorized", request: "GET /agents" });
    expect(isMasterApiError(denied, "unauthorized")).toBe(true);
    expect(isMasterApiError(denied, "forbidden")).toBe(false);

    const invalid = await admin
      .POST("/keys", { body: { name: "" } })
      .catch((e: unknown) => e as MasterApiError);
    expect(invalid).toMatchObject({ status: 400, error: "validation_error" });
    expect((invalid as MasterApiError).issues?.map((i) => i.path)).toEqual(["name"]);

    // The health route needs no token, and the /api/v2 prefix may be given or not.
    const prefixed = createMasterClient({ baseUrl: `${master.url}/api/v2/` });
    await expect(prefixed.GET("/health")).resolves.toEqual({ status: "ok", database: "ok" });
  });

  it("exposes openapi-fetch's non-throwing client as raw", async () => {
    const anonymous = createMasterClient({ baseUrl: master.url });
    const { data, error, response } = await anonymous.raw.GET("/keys");
    expect(data).toBeUndefined();
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ error: "unauthorized" });
  });
});
