import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isDocumentedClientError,
  type Reply,
  startTestMaster,
  type TestMaster,
} from "../src/master-harness.ts";

/**
 * Master bugs the fuzzers found, now fixed (apps/master/src/http/text-guard.ts, and the key id
 * pattern of routes/revoke-key.ts); these tests keep them fixed.
 *
 * 1: a NUL character (U+0000) or an unpaired UTF-16 surrogate in a string the master stores
 * (PostgreSQL text and jsonb refuse both) answered 500 instead of 400 validation_error.
 * 2: DELETE /api/v2/keys/a%00b reached the database and answered 500.
 * 3: request bodies were decoded lossily: invalid UTF-8 became U+FFFD and was applied.
 */

function documentedOrAccepted(reply: Reply): boolean {
  return (reply.status >= 200 && reply.status < 300) || isDocumentedClientError(reply);
}

describe("master bugs found by the fuzzers, fixed", () => {
  let master: TestMaster;
  let agent: { agentId: string; key: string };

  beforeAll(async () => {
    master = await startTestMaster({ extra: { LOG_LEVEL: "silent" } });
    agent = await master.client.newAgent("known-bugs");
  }, 120_000);

  afterAll(async () => {
    await master?.close();
  }, 120_000);

  const nul = String.raw`\u0000`;
  const surrogate = String.raw`\ud800`;

  for (const [what, text] of [
    ["NUL", nul],
    ["unpaired surrogate", surrogate],
  ] as const) {
    it(`${what} in a container_stop event's container name is refused, not a 500`, async () => {
      const reply = await master.client.request("POST", `/api/v2/agents/${agent.agentId}/events`, {
        token: agent.key,
        body: `{"type":"container_stop","container":{"name":"ghost${text}","labels":{}}}`,
      });
      expect(documentedOrAccepted(reply), `${reply.status} ${reply.text}`).toBe(true);
    });

    it(`${what} in a label value of a container_start is refused, not a 500`, async () => {
      const reply = await master.client.request("POST", `/api/v2/agents/${agent.agentId}/events`, {
        token: agent.key,
        body: `{"type":"container_start","container":{"name":"ghost","labels":{"x":"${text}"}}}`,
      });
      expect(documentedOrAccepted(reply), `${reply.status} ${reply.text}`).toBe(true);
    });

    it(`${what} in a key name (POST /keys) is refused, not a 500`, async () => {
      const reply = await master.client.request("POST", "/api/v2/keys", {
        token: master.admin,
        body: `{"name":"key${text}"}`,
      });
      expect(documentedOrAccepted(reply), `${reply.status} ${reply.text}`).toBe(true);
    });

    it(`${what} in a queued command is refused, not a 500`, async () => {
      const reply = await master.client.request(
        "POST",
        `/api/v2/agents/${agent.agentId}/commands`,
        {
          token: master.admin,
          body: `{"commands":[{"action":"restart_tunnel","tunnel_id":"t${text}"}]}`,
        },
      );
      expect(documentedOrAccepted(reply), `${reply.status} ${reply.text}`).toBe(true);
    });
  }

  it("NUL in a registration's display_name is refused, not a 500", async () => {
    const issued = await master.client.issueKey("known-bugs-register");
    const reply = await master.client.request("POST", "/api/v2/agents/register", {
      token: issued.key,
      body: `{"display_name":"a${nul}","version":"1","mode":"standalone"}`,
    });
    expect(documentedOrAccepted(reply), `${reply.status} ${reply.text}`).toBe(true);
  });

  it("DELETE /keys/a%00b is a 400, not a 500", async () => {
    const reply = await master.client.request("DELETE", "/api/v2/keys/a%00b", {
      token: master.admin,
    });
    expect(isDocumentedClientError(reply), `${reply.status} ${reply.text}`).toBe(true);
  });

  it("a body with invalid UTF-8 is a 400, not decoded lossily to U+FFFD", async () => {
    // {"name":"<0xFF>"}: not UTF-8, yet a key named "\uFFFD" is issued.
    const body = new Uint8Array([123, 34, 110, 97, 109, 101, 34, 58, 34, 255, 34, 125]);
    const reply = await master.client.request("POST", "/api/v2/keys", {
      token: master.admin,
      body,
    });
    expect(reply.status, reply.text).toBe(400);
    expect(isDocumentedClientError(reply)).toBe(true);
  });

  it("the master is still healthy after all of them", async () => {
    expect(await master.client.healthy()).toBe(true);
  });
});
