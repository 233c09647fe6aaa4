import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "@dockflow/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { DEMO_COMMANDS, encodeEnvelope, pingRuntime, startRuntime } from "../src/index.ts";
import { TestClient } from "./client.ts";
import { type RuntimeFixture, replaceCode, shortTempDir, startFixture } from "./fixtures.ts";

const clients: TestClient[] = [];
async function connect(fixture: RuntimeFixture): Promise<TestClient> {
  const client = await TestClient.connect(fixture.runtime.socketPath);
  clients.push(client);
  return client;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

describe("socket", () => {
  test("replaces a stale socket file, is connectable by anyone, and is removed on close", async () => {
    const socketDir = await shortTempDir("frs-");
    await writeFile(join(socketDir, "flow.sock"), "stale");
    const runtime = await startRuntime({
      socketDir,
      codeDir: join(socketDir, "absent"),
      log: () => undefined,
    });
    try {
      const info = await stat(runtime.socketPath);
      expect(info.isSocket()).toBe(true);
      expect(info.mode & 0o777).toBe(0o666);
      const pong = await pingRuntime(runtime.socketPath);
      expect(pong).toMatchObject({ pong: true, pid: process.pid, code_version: "builtin" });
      expect(pong.uptime_ms).toBeGreaterThanOrEqual(0);
    } finally {
      await runtime.close();
    }
    expect(existsSync(runtime.socketPath)).toBe(false);
    await rm(socketDir, { recursive: true, force: true });
  });
});

describe("demo handlers (no code present)", () => {
  let fixture: RuntimeFixture;
  beforeAll(async () => {
    fixture = await startFixture({ "notes.txt": "not an entry file", "sub/data.json": "{}" });
  });
  afterAll(() => fixture.dispose());

  test("are the handlers, with code_version builtin", async () => {
    expect(fixture.runtime.handlers).toEqual([...DEMO_COMMANDS].sort());
    const client = await connect(fixture);
    expect(await client.call("flow.ping")).toMatchObject({ pong: true, code_version: "builtin" });
  });

  test("echo, process, sleep, env, files", async () => {
    const client = await connect(fixture);
    expect(await client.call("echo", { any: ["thing", 1] })).toEqual({ any: ["thing", 1] });
    expect(
      await client.call("process", {
        input: "sample",
        options: { format: "json", validate: true },
      }),
    ).toEqual({ processed: true, input: "sample", options: { format: "json", validate: true } });
    expect(await client.call("sleep", { ms: 5 })).toEqual({ slept: 5 });
    process.env.FLOW_RUNTIME_TEST_VALUE = "visible";
    expect(
      await client.call("env", { keys: ["FLOW_RUNTIME_TEST_VALUE", "NOT_SET_ANYWHERE"] }),
    ).toEqual({ FLOW_RUNTIME_TEST_VALUE: "visible" });
    expect(await client.call("env")).toEqual({});
    expect(await client.call("files")).toEqual({
      dir: fixture.codeDir,
      files: ["notes.txt", "sub/data.json"],
      truncated: false,
    });
  });

  test("invalid demo input is an error reply naming the problem", async () => {
    const client = await connect(fixture);
    const { final } = await client.exchange("sleep", { ms: -1 });
    expect(final).toMatchObject({
      command: "error",
      data: { name: "TypeError", message: expect.stringContaining("data.ms") },
    });
  });

  test("emit sends unasked messages to every connection before the result", async () => {
    const asker = await connect(fixture);
    const other = await connect(fixture);
    const { final } = await asker.exchange("emit", { count: 3, command: "tick" });
    expect(final.data).toEqual({ emitted: 3 });
    const ticks = [0, 1, 2].map((index) => ({ command: "tick", data: { index, count: 3 } }));
    // On the asking connection the ticks precede the reply.
    expect(asker.received.slice(0, 4)).toEqual([...ticks, final]);
    await waitFor(() => other.unasked.length === 3);
    expect(other.unasked).toEqual(ticks);
  });

  test("progress sends statuses tied to the request before the result", async () => {
    const client = await connect(fixture);
    const { final, statuses } = await client.exchange("progress", { steps: 2 });
    expect(statuses.map((s) => s.data)).toEqual([
      { step: 1, of: 2 },
      { step: 2, of: 2 },
    ]);
    expect(final).toMatchObject({ command: "result", data: { done: true, steps: 2 } });
  });

  test("allocate holds memory until released; burn keeps a CPU busy", async () => {
    const client = await connect(fixture);
    expect(await client.call("allocate", { mb: 2 })).toEqual({ allocated_mb: 2, held_mb: 2 });
    expect(await client.call("allocate", { mb: 1 })).toEqual({ allocated_mb: 1, held_mb: 3 });
    expect(await client.call("allocate", { release: true })).toEqual({
      allocated_mb: 0,
      held_mb: 0,
    });
    const burned = (await client.call("burn", { ms: 30 })) as { burned_ms: number; spins: number };
    expect(burned.burned_ms).toBeGreaterThanOrEqual(30);
    expect(burned.spins).toBeGreaterThan(0);
  });

  test("crash answers, then exits with the given code", async () => {
    const client = await connect(fixture);
    expect(await client.call("crash", { exit_code: 3 })).toEqual({ crashing: true, exit_code: 3 });
    await waitFor(() => fixture.exits.length > 0);
    expect(fixture.exits).toEqual([3]);
  });
});

const USER_CODE = {
  "index.mjs": `
import { label } from "./lib/label.mjs";

let release;
const gate = new Promise((resolve) => { release = resolve; });

export async function process(data, ctx) {
  ctx.status({ stage: "started", id: ctx.id });
  await null;
  ctx.status({ stage: "halfway" });
  return { label, input: data?.input, command: ctx.command };
}

export async function wait() {
  return { opened_with: await gate };
}

export function open(data) {
  release(data);
  return { opened: true };
}

export function announce(data, ctx) {
  const delivered = ctx.send("announcement", data);
  return { delivered };
}

export async function fail() {
  const error = new RangeError("out of range");
  error.code = "E_RANGE";
  throw error;
}

export function failSync() {
  throw "a string";
}

export function aborted(_data, ctx) {
  return new Promise((resolve) => {
    ctx.signal.addEventListener("abort", () => resolve({ aborted: ctx.signal.reason.name }));
  });
}

export function big(data) {
  return "x".repeat(data.size);
}

export function bigint() {
  return { n: 1n };
}

export const notAHandler = 42;
`,
  "lib/label.mjs": `export const label = "v1";`,
};

describe("user code", () => {
  let fixture: RuntimeFixture;
  beforeAll(async () => {
    fixture = await startFixture(USER_CODE);
  });
  afterAll(() => fixture.dispose());

  test("exports become the handlers; demo handlers are gone", async () => {
    expect(fixture.runtime.handlers).toEqual([
      "aborted",
      "announce",
      "big",
      "bigint",
      "fail",
      "failSync",
      "open",
      "process",
      "wait",
    ]);
    expect(fixture.runtime.codeVersion).toMatch(/^[0-9a-f]{16}$/);
    const client = await connect(fixture);
    const { final } = await client.exchange("echo", 1, "echo-1");
    expect(final).toEqual({
      reply_to: "echo-1",
      command: "error",
      data: { message: "unknown command: echo", code: "unknown_command" },
    });
  });

  test("status messages come before the result, tied to the request id", async () => {
    const client = await connect(fixture);
    await client.exchange("process", { input: "abc" }, "p-1");
    expect(client.received).toEqual([
      { reply_to: "p-1", command: "status", data: { stage: "started", id: "p-1" } },
      { reply_to: "p-1", command: "status", data: { stage: "halfway" } },
      {
        reply_to: "p-1",
        command: "result",
        data: { label: "v1", input: "abc", command: "process" },
      },
    ]);
  });

  test("a throwing handler answers an error with message and name", async () => {
    const client = await connect(fixture);
    expect((await client.exchange("fail")).final).toMatchObject({
      command: "error",
      data: { message: "out of range", name: "RangeError", code: "E_RANGE" },
    });
    expect((await client.exchange("failSync")).final).toMatchObject({
      command: "error",
      data: { message: "a string", name: "Error" },
    });
    expect(fixture.logs.some((l) => l.level === "error" && l.msg === "handler failed")).toBe(true);
  });

  test("concurrent requests are answered by id, out of order", async () => {
    const client = await connect(fixture);
    const waiting = client.exchange("wait", undefined, "slow");
    const opening = client.exchange("open", "go", "fast");
    const [slow, fast] = await Promise.all([waiting, opening]);
    expect(slow.final).toEqual({
      reply_to: "slow",
      command: "result",
      data: { opened_with: "go" },
    });
    expect(fast.final).toEqual({ reply_to: "fast", command: "result", data: { opened: true } });
    expect(client.received.map((m) => m.reply_to)).toEqual(["fast", "slow"]);
  });

  test("ctx.send reaches every connection", async () => {
    const asker = await connect(fixture);
    const other = await connect(fixture);
    await waitFor(() => fixture.runtime.connections >= 2);
    const delivered = (await asker.call("announce", { hello: "all" })) as { delivered: number };
    expect(delivered.delivered).toBe(fixture.runtime.connections);
    await other.waitForMessage((m) => m.command === "announcement");
    expect(other.unasked).toEqual([{ command: "announcement", data: { hello: "all" } }]);
    expect(asker.unasked).toEqual([{ command: "announcement", data: { hello: "all" } }]);
  });

  test("a result too large or not JSON becomes an error reply", async () => {
    const small = await startFixture(USER_CODE, { maxEnvelopeBytes: 1024 });
    try {
      const client = await connect(small);
      expect(await client.call("big", { size: 100 })).toBe("x".repeat(100));
      expect((await client.exchange("big", { size: 2000 })).final).toMatchObject({
        command: "error",
        data: { code: "result_too_large" },
      });
      expect((await client.exchange("bigint")).final).toMatchObject({
        command: "error",
        data: { code: "unserializable_result" },
      });
    } finally {
      await small.dispose();
    }
  });

  test("reserved names are not dispatched to code; unknown flow.* commands are errors", async () => {
    const client = await connect(fixture);
    expect((await client.exchange("flow.nope")).final).toMatchObject({
      command: "error",
      data: { code: "unknown_command", message: "unknown command: flow.nope" },
    });
  });
});

describe("flow.reload", () => {
  let fixture: RuntimeFixture;
  beforeAll(async () => {
    fixture = await startFixture({
      "index.mjs": `import { value } from "./lib.mjs";
        export const read = () => value;
        export const onlyV1 = () => "v1";
        export const waitForAbort = (_d, ctx) => new Promise((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason.name)));`,
      "lib.mjs": `export const value = "one";`,
    });
  });
  afterAll(() => fixture.dispose());

  test("re-imports replaced files (the whole module graph) and aborts old signals", async () => {
    const client = await connect(fixture);
    expect(await client.call("read")).toBe("one");
    const before = fixture.runtime.codeVersion;
    const pending = client.exchange("waitForAbort");

    await replaceCode(fixture.codeDir, {
      "index.mjs": `import { value } from "./lib.mjs"; export const read = () => value;
        export default { onlyV2() { return this.tag; }, tag: "v2" };`,
      "lib.mjs": `export const value = "two";`,
    });
    const reloaded = await client.call("flow.reload");
    expect(reloaded).toEqual({
      reloaded: true,
      code_version: expect.not.stringMatching(before),
      handlers: ["onlyV2", "read"],
    });
    expect((await pending).final).toMatchObject({ command: "result", data: "AbortError" });
    expect(await client.call("read")).toBe("two");
    expect(await client.call("onlyV2")).toBe("v2");
    expect((await client.exchange("onlyV1")).final.data).toMatchObject({ code: "unknown_command" });
    expect(await client.call("flow.ping")).toMatchObject({
      code_version: (reloaded as { code_version: string }).code_version,
    });
    expect(fixture.logs.some((l) => l.msg === "code reloaded")).toBe(true);
  });

  test("picks up CommonJS code, and CommonJS changes (index.mjs gone)", async () => {
    const client = await connect(fixture);
    await replaceCode(fixture.codeDir, {
      "index.cjs": `const helper = require("./helper.cjs");
        module.exports = { read: () => helper.value, files: () => "cjs" };`,
      "helper.cjs": `exports.value = "cjs-1";`,
    });
    expect(await client.call("flow.reload")).toMatchObject({ handlers: ["files", "read"] });
    expect(await client.call("read")).toBe("cjs-1");
    await writeFile(join(fixture.codeDir, "helper.cjs"), `exports.value = "cjs-2";`);
    await client.call("flow.reload");
    expect(await client.call("read")).toBe("cjs-2");
  });

  test("a failed reload answers an error and keeps the old handlers", async () => {
    const client = await connect(fixture);
    await replaceCode(fixture.codeDir, { "index.mjs": `export const read = () => "good";` });
    await client.call("flow.reload");
    const version = fixture.runtime.codeVersion;

    for (const broken of [
      `export const read = ( => "syntax error";`,
      `throw new Error("top-level failure"); export const read = () => 1;`,
      `export const nothing = 1;`,
      `export default function handler() {}`,
    ]) {
      await replaceCode(fixture.codeDir, { "index.mjs": broken });
      const { final } = await client.exchange("flow.reload");
      expect(final).toMatchObject({
        command: "error",
        data: { code: "reload_failed", name: "CodeLoadError", message: expect.any(String) },
      });
      expect(await client.call("read")).toBe("good");
      expect(fixture.runtime.codeVersion).toBe(version);
    }
    expect(fixture.logs.some((l) => l.msg.startsWith("code reload failed"))).toBe(true);
  });

  test("an emptied folder brings back the demo handlers", async () => {
    const client = await connect(fixture);
    await replaceCode(fixture.codeDir, {});
    expect(await client.call("flow.reload")).toEqual({
      reloaded: true,
      code_version: "builtin",
      handlers: [...DEMO_COMMANDS].sort(),
    });
    expect(await client.call("echo", "back")).toBe("back");
  });
});

describe("code that fails to load at startup", () => {
  let fixture: RuntimeFixture;
  beforeAll(async () => {
    fixture = await startFixture({ "index.js": "export const x = ;" });
  });
  afterAll(() => fixture.dispose());

  test("keeps the socket up, answers code_not_loaded, and recovers on reload", async () => {
    const client = await connect(fixture);
    expect(await client.call("flow.ping")).toMatchObject({
      pong: true,
      load_error: expect.stringContaining("index.js"),
    });
    expect((await client.exchange("process")).final).toMatchObject({
      command: "error",
      data: { code: "code_not_loaded" },
    });
    await replaceCode(fixture.codeDir, {
      "index.js": "export const process = (d) => ({ ok: d });",
    });
    expect(await client.call("flow.reload")).toMatchObject({ handlers: ["process"] });
    expect(await client.call("process", 1)).toEqual({ ok: 1 });
  });
});

describe("garbage input", () => {
  let fixture: RuntimeFixture;
  beforeAll(async () => {
    fixture = await startFixture({}, { maxEnvelopeBytes: 1024 });
  });
  afterAll(() => fixture.dispose());

  test("invalid JSON, invalid UTF-8 and bad envelopes get errors; the connection stays", async () => {
    const client = await connect(fixture);
    client.write("this is not json\n");
    client.write(Buffer.from([0xc3, 0x28, 0x0a]));
    client.write("42\n");
    client.write('{"id":"no-command"}\n');
    client.write('{"id":"","command":"echo"}\n');
    await waitFor(() => client.received.length === 5);
    expect(client.received).toEqual([
      { command: "error", data: { code: "invalid_json", message: expect.any(String) } },
      { command: "error", data: { code: "invalid_utf8", message: expect.any(String) } },
      { command: "error", data: { code: "invalid_envelope", message: expect.any(String) } },
      {
        reply_to: "no-command",
        command: "error",
        data: { code: "invalid_envelope", message: expect.stringContaining("command") },
      },
      { command: "error", data: { code: "invalid_envelope", message: expect.any(String) } },
    ]);
    expect(await client.call("echo", "still here")).toBe("still here");
  });

  test("an oversized line is dropped with an error, without closing the connection", async () => {
    const client = await connect(fixture);
    for (let i = 0; i < 20; i++) client.write("a".repeat(500));
    await client.waitForMessage((m) => m.command === "error");
    client.write("\n");
    expect(await client.call("echo", "after")).toBe("after");
    expect(client.received.filter((m) => m.command === "error")).toEqual([
      { command: "error", data: { code: "envelope_too_large", message: expect.any(String) } },
    ]);
    expect(client.closed).toBe(false);
  });

  test("requests split byte by byte, or several per write, are all answered", async () => {
    const client = await connect(fixture);
    const line = Buffer.from(encodeEnvelope({ id: "split", command: "echo", data: "é✓" }));
    for (let i = 0; i < line.length; i++) client.write(line.subarray(i, i + 1));
    client.write(
      encodeEnvelope({ id: "m1", command: "echo", data: 1 }) +
        encodeEnvelope({ id: "m2", command: "echo", data: 2 }),
    );
    await waitFor(() => client.received.length === 3);
    expect(client.received).toEqual([
      { reply_to: "split", command: "result", data: "é✓" },
      { reply_to: "m1", command: "result", data: 1 },
      { reply_to: "m2", command: "result", data: 2 },
    ]);
  });

  test("random bytes do not kill the runtime", async () => {
    const noisy = await connect(fixture);
    for (let i = 0; i < 32; i++) noisy.write(randomBytes(4096));
    noisy.write("\n");
    noisy.close();
    const client = await connect(fixture);
    expect(await client.call("flow.ping")).toMatchObject({ pong: true });
    expect(fixture.exits).toEqual([]);
  });

  test("a manager can reconnect after closing its connection", async () => {
    const first = await connect(fixture);
    expect(await first.call("echo", 1)).toBe(1);
    first.close();
    await waitFor(() => fixture.runtime.connections === 0);
    const second = await connect(fixture);
    expect(await second.call("echo", 2)).toBe(2);
  });
});
