import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { WEBHOOK_DELIVERY_HEADER } from "@dockflow/protocol";
import {
  removeLabelled,
  startWebhookReceiver,
  testLabels,
  testRunId,
  type WebhookReceiver,
  waitFor,
} from "@dockflow/testkit";
import { verifiedPayload } from "@dockflow/webhook-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask, docker, runFlow, TestClient, uniqueName } from "./helpers.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "flow-webhook-secret-0123";

interface ManagerProcess {
  child: ChildProcess;
  url: string;
}

/**
 * The flow manager as its own process (node with tsx's loader, so SIGKILL reaches the manager
 * itself), its URL read from its "listening" log line.
 */
async function spawnManager(env: Record<string, string>): Promise<ManagerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === "flow manager listening" && entry.url) resolve(entry.url);
    });
    child.once("exit", (code) => reject(new Error(`flow manager exited with ${code}`)));
  });
  return { child, url };
}

describe("a flow manager killed mid-delivery", () => {
  let receiver: WebhookReceiver;
  let dir: string;
  let root: string;
  let socketRoot: string;
  const children: ChildProcess[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    dir = await mkdtemp(join(tmpdir(), "dockflow-fm-webhooks-"));
    root = await mkdtemp(join(tmpdir(), "dockflow-fm-root-"));
    socketRoot = await mkdtemp("/tmp/dff-");
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
    await receiver.close();
    await removeLabelled(docker);
    for (const d of [dir, root, socketRoot]) await rm(d, { recursive: true, force: true });
  });

  it("delivers the webhook after a restart on the same folder", async () => {
    const env = {
      HOST: "127.0.0.1",
      PORT: "0",
      FLOW_MANAGER_ID: `test-${testRunId}-whcrash`,
      FLOW_ALLOWED_ROOTS: root,
      FLOW_SOCKET_ROOT: socketRoot,
      FLOW_DEFAULT_LABELS: JSON.stringify(testLabels()),
      FLOW_STOP_TIMEOUT_SECONDS: "2",
      FLOW_WEBHOOKS: JSON.stringify([
        { url: receiver.url, events: ["container_crashed"], secret: SECRET },
      ]),
      FLOW_WEBHOOK_DIR: dir,
      FLOW_WEBHOOK_BACKOFF_SECONDS: "1",
      FLOW_WEBHOOK_TIMEOUT_SECONDS: "30",
      LOG_LEVEL: "info",
    };
    // The receiver holds the first attempt open: the manager is killed while waiting for it.
    receiver.answer("hold");
    const first = await spawnManager(env);
    children.push(first.child);
    const client = await TestClient.connect(first.url);
    clients.push(client);
    const id = await runFlow(client, uniqueName("killed"));
    await ask(client, id, "crash", { exit_code: 7 });
    await waitFor(() => receiver.received.length === 1 || undefined, { message: "held attempt" });
    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    client.close();
    expect(await readdir(dir)).toHaveLength(1);

    receiver.answer(200);
    const second = await spawnManager(env);
    children.push(second.child);
    const held = receiver.received[0]!;
    const deliveryId = held.headers[WEBHOOK_DELIVERY_HEADER];
    const again = await waitFor(
      () =>
        receiver.received.find(
          (r, index) => index > 0 && r.headers[WEBHOOK_DELIVERY_HEADER] === deliveryId,
        ),
      { message: "the delivery, resumed" },
    );
    expect(again.body).toBe(held.body);
    const payload = verifiedPayload(again, SECRET);
    expect(payload.type).toBe("container_crashed");
    expect(payload.data).toMatchObject({ container_id: id, exit_code: 7 });
    await waitFor(async () => ((await readdir(dir)).length === 0 ? true : undefined), {
      message: "the delivery's file removed",
    });
  });
});
