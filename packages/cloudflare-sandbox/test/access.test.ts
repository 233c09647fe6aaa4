import { BadRequestError, ConflictError, NotFoundError } from "cloudflare";
import { describe, expect, it } from "vitest";
import { DEFAULT_ACCESS_TEAM } from "../src/index.ts";
import { apiFailure, codes, harness, raw } from "./helpers.ts";

const opsOnly = {
  name: "ops",
  decision: "allow" as const,
  include: [{ email: { email: "ops@example.com" } }],
};

describe("access policies (reusable)", () => {
  it("creates, lists, replaces and deletes a reusable policy", async () => {
    const { cf, account_id } = harness();
    const created = await cf.zeroTrust.access.policies.create({ account_id, ...opsOnly });
    expect(created).toMatchObject({
      name: "ops",
      decision: "allow",
      include: [{ email: { email: "ops@example.com" } }],
      exclude: [],
      require: [],
      reusable: true,
      app_count: 0,
      session_duration: "24h",
    });
    const id = created.id as string;
    const listed = await cf.zeroTrust.access.policies.list({ account_id });
    expect(listed.result.map((p) => p.id)).toEqual([id]);
    const replaced = await cf.zeroTrust.access.policies.update(id, {
      account_id,
      ...opsOnly,
      include: [{ email_domain: { domain: "example.com" } }],
    });
    expect(replaced.include).toEqual([{ email_domain: { domain: "example.com" } }]);
    expect(await cf.zeroTrust.access.policies.delete(id, { account_id })).toEqual({ id });
    const gone = await apiFailure(cf.zeroTrust.access.policies.get(id, { account_id }));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(codes(gone)).toEqual([12135]);
  });

  it("refuses a policy without include rules, a bad decision, and bypass with identities", async () => {
    const { cf, account_id } = harness();
    const empty = await apiFailure(
      cf.zeroTrust.access.policies.create({ account_id, ...opsOnly, include: [] }),
    );
    expect(empty).toBeInstanceOf(BadRequestError);
    expect(codes(empty)).toEqual([12130]);
    expect(empty.errors[0]?.message).toMatch(/include needs at least one rule/);
    const bypass = await apiFailure(
      cf.zeroTrust.access.policies.create({ account_id, ...opsOnly, decision: "bypass" }),
    );
    expect(bypass.errors[0]?.message).toBe(
      "access.api.error.invalid_request: a bypass policy takes no identity selector (email)",
    );
    const { sandbox } = harness();
    const bad = await raw(sandbox, "POST", `/accounts/${sandbox.accountId}/access/policies`, {
      body: JSON.stringify({ ...opsOnly, decision: "maybe" }),
    });
    expect(bad.status).toBe(400);
  });
});

describe("access applications", () => {
  it("creates a self-hosted application with an audience tag, policies in precedence order", async () => {
    const { cf, account_id, sandbox } = harness();
    const policy = await cf.zeroTrust.access.policies.create({ account_id, ...opsOnly });
    await cf.zeroTrust.access.tags.create({ account_id, name: "dockflow" });
    const app = await cf.zeroTrust.access.applications.create({
      account_id,
      type: "self_hosted",
      domain: "app.example.com/admin",
      name: "App",
      session_duration: "1h",
      app_launcher_visible: false,
      policies: [{ id: policy.id as string, precedence: 1 }],
      tags: ["dockflow"],
    });
    expect(app).toMatchObject({
      type: "self_hosted",
      domain: "app.example.com/admin",
      name: "App",
      session_duration: "1h",
      app_launcher_visible: false,
      tags: ["dockflow"],
      policies: [{ id: policy.id, name: "ops", decision: "allow", precedence: 1, app_count: 1 }],
    });
    expect((app as { aud: string }).aud).toMatch(/^[0-9a-f]{64}$/);
    expect(sandbox.state.accessApps.get(app.id as string)?.aud).toBe((app as { aud: string }).aud);
    const listed = await cf.zeroTrust.access.applications.list({
      account_id,
      domain: "app.example.com",
    });
    expect(listed.result.map((a) => a.id)).toEqual([app.id]);

    const inUse = await apiFailure(
      cf.zeroTrust.access.policies.delete(policy.id as string, { account_id }),
    );
    expect(codes(inUse)).toEqual([12130]);
    expect(inUse.errors[0]?.message).toMatch(/in use by 1 application/);

    const replaced = await cf.zeroTrust.access.applications.update(app.id as string, {
      account_id,
      type: "self_hosted",
      domain: "app.example.com/admin",
      policies: [],
    });
    expect((replaced as { aud: string }).aud).toBe((app as { aud: string }).aud);
    expect(replaced.policies).toEqual([]);
    expect((replaced as { session_duration: string }).session_duration).toBe("24h");
    expect(await cf.zeroTrust.access.applications.delete(app.id as string, { account_id })).toEqual(
      {
        id: app.id,
      },
    );
  });

  it.each([
    [{ domain: "app.example.com" }, /app type is missing or invalid/],
    [{ type: "self_hosted" }, /domain is required/],
    [{ type: "self_hosted", domain: "app.elsewhere.net" }, /domain does not belong to zone/],
    [
      { type: "self_hosted", domain: "app.example.com", policies: ["nope"] },
      /policy nope does not exist/,
    ],
    [
      { type: "self_hosted", domain: "app.example.com", tags: ["absent"] },
      /tag absent does not exist/,
    ],
    [
      { type: "self_hosted", domain: "app.example.com", session_duration: "1 day" },
      /session_duration/,
    ],
  ])("refuses %j with 400/12130", async (body, message) => {
    const { sandbox } = harness();
    const answer = await raw(sandbox, "POST", `/accounts/${sandbox.accountId}/access/apps`, {
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ success: false, result: null });
    const [error] = answer.json.errors as { code: number; message: string }[];
    expect(error?.code).toBe(12130);
    expect(error?.message).toMatch(message);
  });

  it("answers 404/12135 for an unknown application and 409 for a second app on one domain", async () => {
    const { cf, account_id } = harness();
    const missing = await apiFailure(
      cf.zeroTrust.access.applications.get("6f2c0ab4-0000-4000-8000-000000000001", { account_id }),
    );
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(codes(missing)).toEqual([12135]);
    const body = { account_id, type: "self_hosted" as const, domain: "app.example.com" };
    await cf.zeroTrust.access.applications.create(body);
    const twice = await apiFailure(cf.zeroTrust.access.applications.create(body));
    expect(twice).toBeInstanceOf(ConflictError);
  });

  it("returns the organization with the team's auth domain", async () => {
    const { cf, account_id } = harness();
    const org = await cf.zeroTrust.organizations.list({ account_id });
    expect(org.auth_domain).toBe(`${DEFAULT_ACCESS_TEAM}.cloudflareaccess.com`);
  });
});
