import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { type ClientEventName, clientEvents, ErrorBody } from "@dockflow/protocol";
import { dockerFor, removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedOutcome, type FuzzTarget, malformedRequest } from "../src/flow-fuzz.ts";
import {
  FLOW_IMAGE,
  FlowClient,
  type InProcessManager,
  MiB,
  managedInDocker,
  memoryAfterGc,
  startInProcess,
  uniqueId,
} from "../src/flow-harness.ts";
import { FUZZ_RUNS, FUZZ_SEED } from "../src/runs.ts";

const docker = dockerFor();
const MAX_PAYLOAD = 64 * 1024;
/** Socket.IO names a client may not emit. */
const RESERVED_EVENTS = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

type Outcome = { ok: true } | { ok: false; error: unknown };

describe("flow manager fuzzing: every malformed request gets the documented error, nothing changes", {
  timeout: 1_800_000,
}, () => {
  let fm: InProcessManager;
  let client: FlowClient;
  let target: FuzzTarget;
  let before: string[];
  let testContainersBefore: number;
  const tried: Record<string, number> = {};
  const memory: { heapUsed: number; rss: number }[] = [];

  async function testContainers(): Promise<number> {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`${TEST_LABEL}=${testRunId}`] },
    });
    return list.length;
  }

  beforeAll(async () => {
    fm = await startInProcess(
      "fuzz",
      { FLOW_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD), LOG_LEVEL: "warn" },
      { maxLogLines: 1000 },
    );
    client = await FlowClient.connect(fm.url, undefined, { keep: false });
    const name = uniqueId("fuzz-managed");
    const created = await client.ok("create_container", { image: FLOW_IMAGE, name });
    const insideDir = join(fm.root, "inside");
    await mkdir(insideDir);
    const escapeLink = join(fm.root, "escape");
    await symlink("/etc", escapeLink);
    target = {
      managedId: created.container_id,
      managedName: created.name,
      root: fm.root,
      insideDir,
      escapeLink,
      maxPayloadBytes: MAX_PAYLOAD,
    };
    before = await managedInDocker(docker, fm.managerId);
    testContainersBefore = await testContainers();
    memory.push(await memoryAfterGc());
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await removeLabelled(docker);
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    const [first, last] = [memory[0], memory.at(-1)];
    if (first && last) {
      console.info(
        `[flow-fuzz] ${total} cases (${JSON.stringify(tried)}), runs=${FUZZ_RUNS} seed=${FUZZ_SEED}; ` +
          `heapUsed ${(first.heapUsed / MiB).toFixed(1)} -> ${(last.heapUsed / MiB).toFixed(1)} MiB, ` +
          `rss ${(first.rss / MiB).toFixed(1)} -> ${(last.rss / MiB).toFixed(1)} MiB`,
      );
    }
  });

  function checkError(op: string, outcome: Outcome, expected: string, payload: unknown): void {
    const shown = JSON.stringify(payload)?.slice(0, 200);
    expect(outcome.ok, `${op} ${shown} must fail`).toBe(false);
    if (outcome.ok) return;
    const body = ErrorBody.safeParse(outcome.error);
    expect(body.success, `${op}: the error body matches ErrorBody`).toBe(true);
    if (!body.success) return;
    expect(body.data.error_type, `${op} ${shown}: ${body.data.message}`).toBe(expected);
    expect(body.data.details.operation).toBe(op);
    if (expected === "validation_error") {
      expect(Array.isArray(body.data.details.issues), `${op}: issues listed`).toBe(true);
    }
  }

  const operations = Object.keys(clientEvents) as ClientEventName[];

  it.each(operations)("%s: generated malformed requests", async (op) => {
    await fc.assert(
      fc.asyncProperty(
        malformedRequest(op, target),
        fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        async (payload, requestId) => {
          const expected = expectedOutcome(op, payload, target);
          fc.pre(expected !== "skip");
          if (requestId && payload && typeof payload === "object" && !Array.isArray(payload)) {
            (payload as Record<string, unknown>).request_id = requestId;
          }
          // request_id itself may have made it valid or invalid: ask the oracle again.
          const finalExpected = expectedOutcome(op, payload, target);
          fc.pre(finalExpected !== "skip");
          tried[op] = (tried[op] ?? 0) + 1;
          const outcome = (await client.raw(op, payload)) as Outcome;
          if (finalExpected === "ok") {
            expect(outcome.ok, `${op} ${JSON.stringify(payload)?.slice(0, 200)}`).toBe(true);
          } else {
            checkError(op, outcome, finalExpected, payload);
          }
          // No prototype was polluted in this process (the server runs here).
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
    expect(tried[op] ?? 0).toBeGreaterThan(0);
    expect(client.socket.connected).toBe(true);
  });

  it("unknown event names are validation_errors", async () => {
    const known = new Set<string>(operations);
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ minLength: 0, maxLength: 300 })
          .filter((e) => !known.has(e) && !RESERVED_EVENTS.has(e)),
        fc.anything({ maxDepth: 2 }),
        async (event, payload) => {
          tried.unknown_event = (tried.unknown_event ?? 0) + 1;
          const outcome = (await client.raw(event, payload)) as Outcome;
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) {
            expect((outcome.error as { error_type: string }).error_type).toBe("validation_error");
          }
        },
      ),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
  });

  it("invalid UTF-8 bytes on the wire (HTTP long-polling transport) get an error, not a crash", async () => {
    // Socket.IO clients always send valid UTF-8; a hand-made Engine.IO session sends raw bytes.
    const base = `${fm.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const url = `${base}&sid=${sid}`;
    const post = (body: Buffer) =>
      fetch(url, { method: "POST", body, headers: { "content-type": "text/plain" } });
    expect((await post(Buffer.from("40"))).ok).toBe(true);
    expect(await (await fetch(url)).text()).toContain('"connected"');
    const cases = [
      Buffer.concat([
        Buffer.from('421["list_containers",{"x":"'),
        Buffer.from([0xff, 0xfe, 0xc0]),
        Buffer.from('"}]'),
      ]),
      Buffer.concat([
        Buffer.from('422["start_container",{"container_id":"'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}]'),
      ]),
      Buffer.concat([
        Buffer.from('423["send_message",{"container_id":"a","message":{"command":"'),
        Buffer.from([0x80, 0x80]),
        Buffer.from('"}}]'),
      ]),
    ];
    for (const body of cases) {
      tried.invalid_utf8 = (tried.invalid_utf8 ?? 0) + 1;
      await post(body);
    }
    // The three acks may arrive over several long-poll responses: poll until all are there.
    let replies = "";
    await waitFor(
      async () => {
        replies += await fetch(url).then((r) => r.text());
        return [1, 2, 3].every((n) => replies.includes(`43${n}[{"ok":false`));
      },
      { timeoutMs: 30_000, message: "the three acks" },
    );
    expect(replies).toContain("validation_error");
    // Garbage that is not even a Socket.IO packet: the session may be dropped, the server stays.
    await post(Buffer.from([0x34, 0x32, 0xff, 0x00, 0x5b]));
    const fresh = await FlowClient.connect(fm.url);
    expect((await fresh.call("list_containers", {})).ok).toBe(true);
    fresh.close();
  });

  it("a payload beyond Socket.IO's buffer limit drops only that connection", async () => {
    const victim = await FlowClient.connect(fm.url);
    const closed = new Promise<string>((done) => victim.socket.once("disconnect", (r) => done(r)));
    victim.socket.emit("send_message", {
      container_id: "nx-big",
      message: { command: "echo", data: "z".repeat(3 * MiB) },
    });
    expect(await closed).toMatch(/transport (close|error)/);
    tried.oversized_frame = (tried.oversized_frame ?? 0) + 1;
    expect((await client.call("list_containers", {})).ok).toBe(true);
  });

  it("afterwards: the server serves, no container was created or removed, memory is bounded", async () => {
    expect(client.socket.connected).toBe(true);
    const list = await client.ok("list_containers", {});
    expect(list.containers.map((c) => c.id)).toEqual([target.managedId]);
    expect(await managedInDocker(docker, fm.managerId)).toEqual(before);
    expect(await testContainers()).toBe(testContainersBefore);
    const health = await fetch(`${fm.url}/health`).then((r) => r.json());
    expect(health).toMatchObject({ status: "ok", containers_managed: 1 });
    memory.push(await memoryAfterGc());
    const growth = memory[1]!.heapUsed - memory[0]!.heapUsed;
    // Generous: the activity log ring and V8's own caches may grow; a leak per case would not fit.
    expect(growth).toBeLessThan(64 * MiB);
  });
});
