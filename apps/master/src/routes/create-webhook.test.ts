import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { WEBHOOK_SECRET } from "../testing/webhooks.ts";

describe("POST /webhooks", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("creates a webhook and never answers its secret", async () => {
    const response = await t.admin("/webhooks", {
      method: "POST",
      json: {
        url: "https://hooks.example.com/T0/B0",
        events: ["agent_offline", "hostname_published"],
        secret: WEBHOOK_SECRET,
        description: "ops channel",
      },
    });
    const text = await response.text();
    expect(response.status).toBe(201);
    expect(text).not.toContain(WEBHOOK_SECRET);
    const created = JSON.parse(text) as Record<string, unknown>;
    expect(created).toEqual({
      id: expect.stringMatching(/^wh_/),
      url: "https://hooks.example.com/T0/B0",
      events: ["agent_offline", "hostname_published"],
      description: "ops channel",
      created_at: t.clock.now().toISOString(),
    });
    const listed = await json<{ webhooks: { id: string }[] }>(await t.admin("/webhooks"));
    expect(listed.webhooks.map((w) => w.id)).toContain(created.id);
  });

  it("refuses a wrong URL, an unknown or repeated event, a short secret, naming each field", async () => {
    const error = await expectApiError(
      await t.admin("/webhooks", {
        method: "POST",
        json: { url: "ftp://x", events: ["nope"], secret: "short" },
      }),
      400,
      "validation_error",
    );
    expect(error.issues?.map((i) => i.path).sort()).toEqual(["events.0", "secret", "url"]);
    const repeated = await expectApiError(
      await t.admin("/webhooks", {
        method: "POST",
        json: {
          url: "http://127.0.0.1/",
          events: ["agent_online", "agent_online"],
          secret: WEBHOOK_SECRET,
        },
      }),
      400,
      "validation_error",
    );
    expect(repeated.issues).toEqual([{ path: "events", message: "each event at most once" }]);
  });

  it("answers 401 without the admin token", async () => {
    await expectApiError(
      await t.api("/webhooks", {
        method: "POST",
        json: { url: "http://127.0.0.1/", events: ["agent_online"], secret: WEBHOOK_SECRET },
      }),
      401,
      "unauthorized",
    );
  });
});
