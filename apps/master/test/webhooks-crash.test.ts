import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  createTestDatabase,
  startWebhookReceiver,
  type TestDatabase,
  type WebhookReceiver,
  waitFor,
} from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../src/testing/expect.ts";
import { ADMIN_TOKEN } from "../src/testing/harness.ts";
import { verifiedPayload, WEBHOOK_SECRET } from "../src/testing/webhooks.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

interface MasterProcess {
  child: ChildProcess;
  url: string;
}

/**
 * The master as its own process on a free port (read from its log line). Node itself with tsx's
 * loader, not the tsx CLI: that would run the master in a child process SIGKILL does not reach.
 */
async function spawnMaster(databaseUrl: string): Promise<MasterProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: PACKAGE_DIR,
    env: {
      ...process.env,
      PORT: "0",
      DATABASE_URL: databaseUrl,
      MASTER_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: "info",
      WEBHOOK_TIMEOUT_SECONDS: "2",
      WEBHOOK_BACKOFF_SECONDS: "1",
      WEBHOOK_POLL_SECONDS: "1",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === "master listening" && entry.url) resolve(entry.url);
    });
    child.once("exit", (code) => reject(new Error(`master exited with ${code}`)));
  });
  return { child, url };
}

const admin = (
  master: MasterProcess,
  path: string,
  init: { method?: string; json?: unknown } = {},
) =>
  fetch(`${master.url}/api/v2${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });

describe("a master killed mid-delivery", () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    database = await createTestDatabase("dockflow_master");
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }
    await receiver?.close();
    await database?.drop();
  });

  it("delivers the webhook after a restart on the same database (SIGKILL while the receiver holds the request)", async () => {
    const first = await spawnMaster(database.url);
    children.push(first.child);
    const { id } = await json<{ id: string }>(
      await admin(first, "/webhooks", {
        method: "POST",
        json: { url: receiver.url, events: ["agent_offline"], secret: WEBHOOK_SECRET },
      }),
      201,
    );
    receiver.answer("hold");
    const queued = await json<{ event_id: string }>(
      await admin(first, `/webhooks/${id}/test`, { method: "POST" }),
      202,
    );
    await waitFor(() => receiver.received.length === 1, { message: "the held first attempt" });
    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    expect(first.child.signalCode).toBe("SIGKILL");

    receiver.answer(200);
    const second = await spawnMaster(database.url);
    children.push(second.child);
    // The first attempt's lease (timeout + 5 s) runs out, then the restarted master sends it again.
    await waitFor(() => receiver.received.length === 2, {
      timeoutMs: 30_000,
      message: "the delivery after the restart",
    });
    const [held, delivered] = receiver.received.map((r) => verifiedPayload(r, WEBHOOK_SECRET));
    expect(delivered).toEqual(held);
    expect(delivered?.id).toBe(queued.event_id);
    await waitFor(
      async () => {
        const { deliveries } = await json<{ deliveries: { status: string; attempts: number }[] }>(
          await admin(second, `/webhooks/${id}/deliveries`),
        );
        return deliveries[0]?.status === "delivered" && deliveries[0].attempts === 2;
      },
      { message: "the delivery recorded as delivered on its second attempt" },
    );
  });
});
