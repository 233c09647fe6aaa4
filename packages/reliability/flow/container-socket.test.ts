import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dockerFor, removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FLOW_IMAGE,
  FlowClient,
  type InProcessManager,
  MiB,
  memoryAfterGc,
  startInProcess,
  uniqueId,
} from "../src/flow-harness.ts";
import { HOSTILE_MODES, HOSTILE_SERVER, type HostileMode } from "../src/flow-hostile.ts";

const docker = dockerFor();
/** Unasked messages in the flood (FLOW_FLOOD overrides; the dedicated run uses 50000). */
const FLOOD = Number(process.env.FLOW_FLOOD ?? 5000);

describe("hostile containers cannot hurt the manager or other containers", {
  timeout: 180_000,
}, () => {
  let fm: InProcessManager;
  /** Owns the hostile containers. */
  let attacker: FlowClient;
  /** Only ever talks to the well-behaved container. */
  let bystander: FlowClient;
  let goodId: string;
  const hostile = {} as Record<HostileMode, string>;
  const memory: { heapUsed: number; rss: number }[] = [];

  /** The bystander's echo round trip: exactly its own data back, nothing else. */
  async function goodEcho(tag: string): Promise<void> {
    const data = { tag, n: Math.random() };
    expect(await bystander.ask(goodId, "echo", data)).toEqual({ command: "result", data });
  }

  beforeAll(async () => {
    fm = await startInProcess(
      "hostile",
      { LOG_LEVEL: "info", FLOW_MESSAGE_TIMEOUT_MS: "20000" },
      { maxLogLines: 1000 },
    );
    attacker = await FlowClient.connect(fm.url);
    bystander = await FlowClient.connect(fm.url);
    const dir = join(fm.root, "hostile");
    await mkdir(dir);
    await chmod(dir, 0o755);
    await writeFile(join(dir, "server.mjs"), HOSTILE_SERVER, { mode: 0o644 });
    const good = await bystander.ok("create_container", {
      image: FLOW_IMAGE,
      name: uniqueId("good"),
    });
    goodId = good.container_id;
    await bystander.ok("start_container", { container_id: goodId });
    for (const mode of HOSTILE_MODES) {
      const created = await attacker.ok("create_container", {
        image: FLOW_IMAGE,
        name: uniqueId(mode),
        volumes: { [dir]: "/hostile:ro" },
        command: ["node", "/hostile/server.mjs", mode],
      });
      hostile[mode] = created.container_id;
      await attacker.ok("start_container", { container_id: created.container_id });
    }
    await goodEcho("before");
    memory.push(await memoryAfterGc());
  }, 180_000);

  afterAll(async () => {
    attacker?.close();
    bystander?.close();
    await fm?.close();
    await removeLabelled(docker);
    const [a, b] = [memory[0], memory.at(-1)];
    if (a && b) {
      console.info(
        `[flow-hostile] heapUsed ${(a.heapUsed / MiB).toFixed(1)} -> ${(b.heapUsed / MiB).toFixed(1)} MiB, ` +
          `rss ${(a.rss / MiB).toFixed(1)} -> ${(b.rss / MiB).toFixed(1)} MiB; ${fm.logs.written} log lines`,
      );
    }
  });

  it("garbage, bad envelopes, stray and duplicate replies: one clean reply gets through", async () => {
    const reply = await attacker.ask(hostile.garbage, "anything", { x: 1 });
    expect(reply).toEqual({ command: "result", data: { echoed: { x: 1 } } });
    // The duplicate final reply after it is dropped: exactly one final reply per request.
    await goodEcho("after-garbage");
    const finals = attacker
      .events("message_received")
      .filter((m) => m.container_id === hostile.garbage && m.message.command === "result");
    expect(finals).toHaveLength(1);
    // The status carrying __proto__ was relayed as data, and polluted nothing here.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("lines over 16 MiB are dropped, the connection and the next reply survive", async () => {
    expect(await attacker.ask(hostile.giant, "anything")).toEqual({
      command: "result",
      data: { survived: true },
    });
    const giants = attacker.events("message_received").filter((m) => m.message.command === "giant");
    expect(giants).toHaveLength(0);
    await goodEcho("after-giant");
  });

  it("a flood of unasked messages reaches its owner, complete and in order, and no one else", async () => {
    const flood = attacker.ask(hostile.flood, "go", { count: FLOOD }, 120_000);
    // The bystander keeps being served while the flood runs.
    for (let i = 0; i < 5; i++) await goodEcho(`during-flood-${i}`);
    expect(await flood).toEqual({ command: "result", data: { flooded: FLOOD } });
    const seen = await waitFor(
      () => {
        const got = attacker
          .events("message_received")
          .filter((m) => m.message.command === "flood")
          .map((m) => (m.message.data as { i: number }).i);
        return got.length >= FLOOD ? got : undefined;
      },
      { message: "every flood message" },
    );
    expect(seen).toEqual(Array.from({ length: FLOOD }, (_, i) => i));
    expect(bystander.events("message_received").some((m) => m.message.command === "flood")).toBe(
      false,
    );
    // The test clients' own record of the flood is not the manager's memory: let it go.
    attacker.received.splice(0);
  });

  it("a container that never answers times out that request only", async () => {
    const sent = await attacker.ok("send_message", {
      container_id: hostile.silent,
      message: { command: "anything" },
      timeout_ms: 500,
    });
    await goodEcho("while-silent");
    const error = await attacker.waitEvent(
      "error",
      (e) => e.details.message_id === sent.message_id,
    );
    expect(error.error_type).toBe("socket_timeout_error");
    expect(error.details.operation).toBe("send_message");
  });

  it("replies forged for other requests' ids never reach them", async () => {
    const concurrent = Array.from({ length: 10 }, (_, i) => goodEcho(`hijack-${i}`));
    const mine = attacker.ask(hostile.hijack, "anything");
    await Promise.all(concurrent);
    expect(await mine).toEqual({ command: "result", data: { mine: true } });
    for (const c of [attacker, bystander]) {
      expect(c.events("message_received").some((m) => m.message.data === "hijacked")).toBe(false);
    }
  });

  it("a container that drops every connection gets socket errors; the manager carries on", async () => {
    const reply = await attacker.ask(hostile.closer, "anything");
    expect(reply).toEqual({ error: "socket_error" });
    await goodEcho("after-closer");
  });

  it("afterwards: the manager is healthy and its memory is bounded", async () => {
    const health = await fetch(`${fm.url}/health`).then((r) => r.json());
    expect(health).toMatchObject({ status: "ok", containers_managed: HOSTILE_MODES.length + 1 });
    const status = await bystander.ok("get_container_status", { container_id: goodId });
    expect(status.status).toBe("running");
    expect(status.restart_count).toBe(0);
    memory.push(await memoryAfterGc());
    // The 20 MiB and 17 MiB lines must not be held on to (bounded reader).
    expect(memory[1]!.heapUsed - memory[0]!.heapUsed).toBeLessThan(64 * MiB);
  });
});
