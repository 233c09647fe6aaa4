import { type ClientRequest, request as httpRequest } from "node:http";
import {
  AgentEvent,
  EnqueueCommandsRequest,
  IssueKeyRequest,
  RegisterRequest,
} from "@dockflow/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hostileBody,
  hostilePathSegment,
  invalidUtf8Body,
  NASTY_STRINGS,
  withPollution,
} from "../src/master-fuzz.ts";
import {
  cloudflareSnapshot,
  heapAfterGc,
  isDocumentedClientError,
  masterSnapshot,
  type Reply,
  startTestMaster,
  type TestMaster,
} from "../src/master-harness.ts";
import { FUZZ_RUNS, FUZZ_SEED } from "../src/runs.ts";

/**
 * Property-based fuzzing of every master route with malformed input. Every rejected case must get
 * a documented 4xx `ApiError` body, the master must stay healthy, and neither the master's state
 * (agents, keys, tunnels, rules as the operator reads them) nor the Cloudflare stand-in may change.
 * FUZZ_RUNS cases per property (60 in the normal run, 3000 in `pnpm --filter @dockflow/reliability fuzz`).
 */

const params = (offset: number) => ({ numRuns: FUZZ_RUNS, seed: FUZZ_SEED + offset });
const TIMEOUT = Math.max(120_000, FUZZ_RUNS * 200);

/** How many cases each entry point was sent (printed at the end for docs/reliability.md). */
const tried = new Map<string, number>();
const count = (entry: string) => tried.set(entry, (tried.get(entry) ?? 0) + 1);

/** What the fuzzers need of a protocol schema. */
interface Schema {
  safeParse(value: unknown): { success: boolean };
}

/** POST /api/v2/keys over a connection of its own (no keep-alive pool); resolves with the reply. */
function postOnOwnConnection(
  url: string,
  token: string,
  write: (req: ClientRequest) => void,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/api/v2/keys`, {
      method: "POST",
      agent: false,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on("error", reject);
    write(req);
  });
}

function decode(body: string | Uint8Array): string {
  return typeof body === "string" ? body : new TextDecoder().decode(body);
}

/** Whether the master is obliged to accept this body (then the case is not a rejection case). */
function acceptable(schema: Schema, body: string | Uint8Array): boolean {
  try {
    return schema.safeParse(JSON.parse(decode(body))).success;
  } catch {
    return false;
  }
}

function expectRejected(reply: Reply, what: string) {
  if (!isDocumentedClientError(reply)) {
    throw new Error(
      `${what}: expected a documented 4xx, got ${reply.status} ${reply.text.slice(0, 300)}`,
    );
  }
}

describe("fuzzing every master route", () => {
  let master: TestMaster;
  let a: { agentId: string; key: string; keyId: string };
  let b: { agentId: string; key: string; keyId: string };
  let before: { master: string; cloudflare: string };
  let heapBaseline = 0;

  const validBodies = () => ({
    register: { display_name: "fuzz-a", version: "1.0.0", mode: "standalone" },
    containerStart: {
      type: "container_start",
      event_id: "fuzz-template",
      container: {
        id: "c1",
        name: "web",
        labels: {
          "dockflare.enable": "true",
          "dockflare.hostname": "web.example.com",
          "dockflare.port": "80",
        },
        status: "running",
      },
    },
    statusReport: {
      type: "status_report",
      container: { containers: [{ name: "web", labels: { "dockflare.enable": "true" } }] },
    },
    commandResult: { type: "command_result", command_id: "cmd_x", success: true, result: { a: 1 } },
    tunnelStatus: {
      type: "tunnel_status",
      tunnel_id: "t",
      container: { name: "connector", status: "running" },
    },
    commands: {
      commands: [
        {
          action: "start_tunnel",
          tunnel_id: "t1",
          tunnel_name: "n",
          token: "secret-token-value",
          rules: { "a.example.com": { service: "web", port: 80 } },
        },
      ],
    },
    key: { name: "fuzz" },
  });

  beforeAll(async () => {
    master = await startTestMaster({ extra: { LONG_POLL_MAX_SECONDS: "1", LOG_LEVEL: "warn" } });
    master.client.record = false;
    a = await master.client.newAgent("fuzz-a");
    b = await master.client.newAgent("fuzz-b");
    // A real rule, tunnel and CNAME, so "no state change" has something to protect.
    const start = await master.client.request("POST", `/api/v2/agents/${a.agentId}/events`, {
      token: a.key,
      json: validBodies().containerStart,
    });
    expect(start.status).toBe(200);
    await master.client.ok("POST", "/api/v2/reconcile");
    expect(master.cf.sandbox.state.dnsRecords.size).toBe(1);
    // Warm up (JIT, pools, caches) before taking the heap baseline.
    for (let i = 0; i < 50; i++) {
      await master.client.request("POST", "/api/v2/keys", { token: master.admin, body: "{" });
    }
    heapBaseline = heapAfterGc();
    before = {
      master: await masterSnapshot(master.client),
      cloudflare: cloudflareSnapshot(master.cf.sandbox),
    };
  }, 120_000);

  afterAll(async () => {
    if (master) {
      const heapAfter = heapAfterGc();
      const total = [...tried.values()].reduce((x, y) => x + y, 0);
      console.info(
        `[reliability] master fuzz: ${JSON.stringify(Object.fromEntries(tried))} total=${total} runs=${FUZZ_RUNS} seed=${FUZZ_SEED} heap_baseline_mb=${(heapBaseline / 2 ** 20).toFixed(1)} heap_after_mb=${(heapAfter / 2 ** 20).toFixed(1)} heap_delta_mb=${((heapAfter - heapBaseline) / 2 ** 20).toFixed(1)}`,
      );
      await master.close();
    }
  }, 120_000);

  /** After each property: still up, nothing changed, no prototype pollution in this process. */
  async function expectUnharmed() {
    expect(await master.client.healthy()).toBe(true);
    expect(await masterSnapshot(master.client)).toBe(before.master);
    expect(cloudflareSnapshot(master.cf.sandbox)).toBe(before.cloudflare);
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.isAdmin).toBeUndefined();
  }

  const bodyEntries = () => {
    const v = validBodies();
    return [
      {
        entry: "POST /agents/register",
        path: () => "/api/v2/agents/register",
        token: () => a.key,
        schema: RegisterRequest as Schema,
        templates: [v.register],
      },
      {
        entry: "POST /agents/{id}/events",
        path: () => `/api/v2/agents/${a.agentId}/events`,
        token: () => a.key,
        schema: AgentEvent as Schema,
        templates: [v.containerStart, v.statusReport, v.commandResult, v.tunnelStatus],
      },
      {
        entry: "POST /agents/{id}/commands",
        path: () => `/api/v2/agents/${b.agentId}/commands`,
        token: () => master.admin,
        schema: EnqueueCommandsRequest as Schema,
        templates: [v.commands],
      },
      {
        entry: "POST /keys",
        path: () => "/api/v2/keys",
        token: () => master.admin,
        schema: IssueKeyRequest as Schema,
        templates: [v.key],
      },
    ];
  };

  bodyEntries().forEach((spec, index) => {
    it(
      `${spec.entry}: malformed bodies are refused with the documented error`,
      async () => {
        const { schema, templates } = bodyEntries()[index]!;
        const body = fc.oneof(...templates.map((t) => hostileBody(t as Record<string, unknown>)));
        await fc.assert(
          fc.asyncProperty(body, async (raw) => {
            fc.pre(!acceptable(schema, raw));
            count(spec.entry);
            const reply = await master.client.request("POST", spec.path(), {
              token: spec.token(),
              body: raw,
            });
            expectRejected(reply, spec.entry);
            expect([400, 413]).toContain(reply.status);
          }),
          params(index),
        );
        await expectUnharmed();
      },
      TIMEOUT,
    );
  });

  it(
    "prototype-pollution keys never reach an object's prototype",
    async () => {
      // Pollution keys on valid payloads whose effect is idempotent (a heartbeat, a re-registration),
      // and on invalid ones: accepted or refused, no prototype is ever changed.
      const v = validBodies();
      const cases = fc.oneof(
        withPollution({ type: "heartbeat" }).map((body) => ({
          path: `/api/v2/agents/${a.agentId}/events`,
          token: a.key,
          body,
        })),
        withPollution(v.register).map((body) => ({
          path: "/api/v2/agents/register",
          token: a.key,
          body,
        })),
        withPollution({ commands: "x" }).map((body) => ({
          path: `/api/v2/agents/${b.agentId}/commands`,
          token: master.admin,
          body,
        })),
        withPollution({ name: 7 }).map((body) => ({
          path: "/api/v2/keys",
          token: master.admin,
          body,
        })),
      );
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          count("prototype pollution (4 routes)");
          const reply = await master.client.request("POST", c.path, {
            token: c.token,
            body: c.body,
          });
          if (reply.status !== 200) expectRejected(reply, c.path);
          const probe: Record<string, unknown> = {};
          expect(probe.polluted).toBeUndefined();
        }),
        params(10),
      );
      await expectUnharmed();
    },
    TIMEOUT,
  );

  it(
    "path parameters (traversal, encodings, odd characters) on every route with an {id}",
    async () => {
      const routes = fc.constantFrom(
        { method: "GET", path: (s: string) => `/api/v2/agents/${s}`, token: () => master.admin },
        { method: "DELETE", path: (s: string) => `/api/v2/agents/${s}`, token: () => master.admin },
        { method: "DELETE", path: (s: string) => `/api/v2/keys/${s}`, token: () => master.admin },
        {
          method: "GET",
          path: (s: string) => `/api/v2/agents/${s}/commands`,
          token: () => a.key,
        },
        {
          method: "POST",
          path: (s: string) => `/api/v2/agents/${s}/events`,
          token: () => a.key,
          body: '{"type":"heartbeat"}',
        },
        {
          method: "POST",
          path: (s: string) => `/api/v2/agents/${s}/commands`,
          token: () => master.admin,
          body: '{"commands":[{"action":"restart_tunnel","tunnel_id":"x"}]}',
        },
      );
      await fc.assert(
        fc.asyncProperty(routes, hostilePathSegment, async (route, segment) => {
          let decoded = segment;
          try {
            decoded = decodeURIComponent(segment);
          } catch {}
          fc.pre(![a.agentId, b.agentId, a.keyId, b.keyId].includes(decoded));
          count("path parameters (6 routes)");
          const reply = await master.client.request(route.method, route.path(segment), {
            token: route.token(),
            ...("body" in route ? { body: route.body } : {}),
          });
          expectRejected(reply, `${route.method} ${route.path(segment)}`);
        }),
        params(20),
      );
      await expectUnharmed();
    },
    TIMEOUT,
  );

  it(
    "query strings: GET /rules and the long poll's wait",
    async () => {
      const value = fc.oneof(
        fc.constantFrom(...NASTY_STRINGS.map((s) => s.slice(0, 3000))),
        fc.string({ maxLength: 20 }),
        fc.constantFrom("-1", "NaN", "Infinity", "1e309", "0x10", "[]", "{}", "true"),
      );
      const cases = fc.oneof(
        fc.record({ agent_id: value, state: value }).map((q) => ({
          path: `/api/v2/rules?agent_id=${encodeURIComponent(q.agent_id)}&state=${encodeURIComponent(q.state)}`,
          token: master.admin,
        })),
        value.map((w) => ({
          path: `/api/v2/agents/${b.agentId}/commands?wait=${encodeURIComponent(w)}`,
          token: b.key,
        })),
        value.map((w) => ({
          path: `/api/v2/agents/${b.agentId}/commands?wait=1&wait=${encodeURIComponent(w)}`,
          token: b.key,
        })),
      );
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          count("query strings (2 routes)");
          const reply = await master.client.request("GET", c.path, { token: c.token });
          // A well-formed query is a read (200); anything else is a documented 400.
          if (reply.status !== 200) expectRejected(reply, c.path);
        }),
        params(30),
      );
      await expectUnharmed();
    },
    TIMEOUT,
  );

  it(
    "invalid UTF-8 and odd content types on every body route",
    async () => {
      const v = validBodies();
      const cases = fc.oneof(
        fc.record({
          path: fc.constant(`/api/v2/agents/${b.agentId}/commands`),
          body: invalidUtf8Body({ commands: [{ action: "restart_tunnel", tunnel_id: 5 }] }),
          type: fc.constantFrom(
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "",
          ),
        }),
        fc.record({
          path: fc.constant("/api/v2/keys"),
          body: invalidUtf8Body({ name: "" }),
          type: fc.constantFrom(
            "application/json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "",
          ),
        }),
        fc.record({
          path: fc.constant(`/api/v2/agents/${a.agentId}/events`),
          body: invalidUtf8Body({ ...v.containerStart, type: "container_explode" }),
          type: fc.constantFrom("application/json", "text/html", ""),
        }),
      );
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          count("invalid UTF-8 / content type (3 routes)");
          const token = c.path.includes("/events") ? a.key : master.admin;
          const reply = await master.client.request("POST", c.path, {
            token,
            body: c.body,
            headers: { "content-type": c.type },
          });
          expectRejected(reply, c.path);
        }),
        params(40),
      );
      await expectUnharmed();
    },
    TIMEOUT,
  );

  it("bodies over the limit are refused with 413, with and without a Content-Length", async () => {
    // On connections of their own: the master closes a connection whose body it refused, and a
    // pooled socket closed under the client would only test the client.
    const big = `{"name":"${"x".repeat(2 * 1024 * 1024)}"}`;
    const sized = await postOnOwnConnection(master.url, master.admin, (req) => req.end(big), {
      "content-length": String(Buffer.byteLength(big)),
    });
    expect(sized.status).toBe(413);
    expect(isDocumentedClientError(sized)).toBe(true);
    const chunked = await postOnOwnConnection(master.url, master.admin, (req) => {
      req.write('{"name":"');
      let sent = 0;
      const more = () => {
        while (sent < 40) {
          sent += 1;
          if (!req.write("x".repeat(64 * 1024))) return void req.once("drain", more);
        }
        req.end('"}');
      };
      req.on("error", () => undefined);
      more();
    });
    expect(chunked.status).toBe(413);
    expect(isDocumentedClientError(chunked)).toBe(true);
    await expectUnharmed();
  });

  it(
    "well-formed events whose strings carry NUL and control characters never cause a 5xx",
    async () => {
      // Valid per the protocol (any string), so the master must accept them or refuse them with a
      // documented 4xx. A stop of a container the master has no rules for changes no rule.
      const nasty = fc.oneof(
        // JSON escapes, so the body stays well-formed JSON and the string holds the character.
        fc.constantFrom(
          String.raw`\u0000`,
          String.raw`a\u0000b`,
          String.raw`\u0001\u001f`,
          String.raw`\ud800`,
          String.raw`\udfff\ud800`,
          String.raw`\u2028`,
        ),
        // Any UTF-16 code units, lone surrogates included (not fc.string's "binary" unit, whose
        // generator tables alone take ~80 MB of this process's heap and would mask the master's).
        fc
          .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 })
          .map((codes) => JSON.stringify(String.fromCharCode(...codes)).slice(1, -1)),
      );
      const cases = fc.tuple(
        nasty,
        fc.constantFrom("name", "label", "status", "event_id", "image"),
        fc.nat(),
      );
      await fc.assert(
        fc.asyncProperty(cases, async ([text, field, n]) => {
          count("control characters in accepted strings (events)");
          const name = field === "name" ? `ghost${n}${text}` : `ghost${n}`;
          const body =
            `{"type":"container_stop","event_id":"${field === "event_id" ? `e${n}${text}` : `nul-${n}-${Math.random()}`}",` +
            `"container":{"name":"${name}","status":"${field === "status" ? text : "exited"}",` +
            `"image":"${field === "image" ? text : "img"}","labels":{"x${field === "label" ? text : ""}":"${text}"}}}`;
          const reply = await master.client.request("POST", `/api/v2/agents/${a.agentId}/events`, {
            token: a.key,
            body,
          });
          if (reply.status !== 200)
            expectRejected(reply, `container_stop with ${JSON.stringify(text)} in ${field}`);
        }),
        params(50),
      );
      await expectUnharmed();
    },
    TIMEOUT,
  );
});
