import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_ADVICE, handleError, startContainerSafely } from "../examples/error-handling.ts";
import { lifecycle } from "../examples/lifecycle.ts";
import { onUnaskedMessages, processData } from "../examples/messaging.ts";
import { inspectStatus, monitorContainers } from "../examples/monitoring.ts";
import {
  type ActivityLog,
  createFlowClient,
  type FlowClient,
  FlowConnectionError,
  FlowError,
  FlowTimeoutError,
  type MessageReceived,
  type StatusChanged,
} from "../src/index.ts";
import {
  docker,
  FLOW_IMAGE,
  startTestFlowManager,
  type TestFlowManager,
  uniqueName,
} from "./support/flow-manager.ts";

/** The seed's examples, rewritten on the SDK, against a real flow manager and Docker engine. */
describe("flow examples against a real flow manager", () => {
  let fm: TestFlowManager;
  let flow: FlowClient;
  const changes: StatusChanged[] = [];
  const activity: ActivityLog[] = [];
  const quiet = () => undefined;

  /** Creates and starts a flow container; returns its id. */
  async function runFlow(tag: string): Promise<string> {
    const created = await flow.createContainer({ image: FLOW_IMAGE, name: uniqueName(tag) });
    await flow.startContainer({ container_id: created.container_id });
    return created.container_id;
  }

  beforeAll(async () => {
    fm = await startTestFlowManager();
    flow = createFlowClient(fm.url, { token: fm.token });
    flow.on("status_changed", (c) => changes.push(c));
    flow.on("activity_log", (a) => activity.push(a));
    await flow.ready();
  });

  afterAll(async () => {
    flow?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("lifecycle: create, start, update, stop, restart and delete, each awaited", async () => {
    const code = join(fm.root, "code");
    await mkdir(code);
    await writeFile(join(code, "index.mjs"), "export const hello = () => 'from the update';\n");
    const data = join(fm.root, "data");
    await mkdir(data);
    const name = uniqueName("life");
    const logged: unknown[][] = [];

    const result = await lifecycle(flow, {
      image: FLOW_IMAGE,
      name,
      create: { volumes: { [data]: "/data:ro" } },
      codePath: code,
      log: (...args) => logged.push(args),
    });

    const id = result.created.container_id;
    expect(result.created).toMatchObject({ name, image: FLOW_IMAGE, status: "created" });
    expect(result.created.request_id).toMatch(/^sdk-/);
    expect(result.started).toMatchObject({ container_id: id, status: "running" });
    expect(result.updated).toMatchObject({ container_id: id, code_path: code });
    expect(result.stopped).toMatchObject({ container_id: id, status: "exited" });
    expect(result.restarted).toMatchObject({ container_id: id, status: "running" });
    expect(result.deleted).toMatchObject({ container_id: id, name });
    expect(logged.map((l) => l[0])).toEqual([
      "Container created:",
      "Container started:",
      "Container updated:",
      "Container stopped:",
      "Container restarted:",
      "Container deleted:",
    ]);
    // Push events reached the typed listeners.
    await waitFor(() => changes.some((c) => c.container_id === id && c.new_status === "exited"));
    await waitFor(() =>
      activity.some((a) => a.container_id === id && a.activity_type === "container_deleted"),
    );
    // Gone for real.
    await expect(flow.getContainerStatus({ container_id: id })).rejects.toMatchObject({
      error_type: "container_not_found",
    });
  });

  it("messaging: process data and get the container's reply; progress and unasked messages", async () => {
    const id = await runFlow("msg");
    const logged: unknown[][] = [];
    const { reply } = await processData(flow, id, "sample input data", (...a) => logged.push(a));
    expect(reply.container_id).toBe(id);
    expect(reply.message.command).toBe("result");
    expect(reply.message.data).toEqual({
      processed: true,
      input: "sample input data",
      options: { format: "json", validate: true },
    });
    expect(logged).toContainEqual(["Result received:", reply.message.data]);

    const progress: MessageReceived[] = [];
    const done = await flow.request(
      id,
      { command: "progress", data: { steps: 3 } },
      { onStatus: (m) => progress.push(m) },
    );
    expect(progress.map((m) => m.message.data)).toEqual([
      { step: 1, of: 3 },
      { step: 2, of: 3 },
      { step: 3, of: 3 },
    ]);
    expect(done.message).toMatchObject({ command: "result", data: { done: true, steps: 3 } });

    const unasked: MessageReceived[] = [];
    const stop = onUnaskedMessages(flow, (m) => unasked.push(m));
    await flow.request(id, { command: "emit", data: { count: 2, command: "tick" } });
    await waitFor(() => unasked.length === 2);
    stop();
    expect(unasked.map((m) => m.message)).toEqual([
      { command: "tick", data: { index: 0, count: 2 } },
      { command: "tick", data: { index: 1, count: 2 } },
    ]);

    // The container's own error is a reply too: it resolves, with command "error".
    const failed = await flow.request(id, { command: "no-such-command" });
    expect(failed.message.command).toBe("error");
  });

  it("monitoring: list, detailed status, and push events on a crash", async () => {
    const id = await runFlow("mon");
    const warnings: unknown[][] = [];
    const monitor = await monitorContainers(flow, {
      log: quiet,
      warn: (...a) => warnings.push(a),
    });
    try {
      const status = monitor.statuses.get(id);
      expect(status).toMatchObject({ container_id: id, status: "running", image: FLOW_IMAGE });
      // A threshold under every measure flags both, as the seed's example would above 80 %.
      expect(inspectStatus(status!, -1, quiet)).toEqual([
        expect.stringMatching(/^High CPU usage/),
        expect.stringMatching(/^High memory usage/),
      ]);

      await waitFor(() => monitor.updates.some((u) => u.containers.some((c) => c.id === id)));

      await flow.request(id, { command: "crash", data: { exit_code: 3 } });
      const crash = await waitFor(() => monitor.crashes.find((c) => c.container_id === id));
      expect(crash.exit_code).toBe(3);
      await waitFor(() => monitor.changes.some((c) => c.container_id === id));
      expect(warnings).toContainEqual(["Container crashed:", crash.name, "exit code", 3]);
    } finally {
      monitor.stop();
    }
  });

  it("error handling: typed errors, the seed's advice and recovery choices", async () => {
    const logged: unknown[][] = [];
    const log = (...a: unknown[]) => logged.push(a);

    expect(await startContainerSafely(flow, "sdk-no-such-container", log)).toBeNull();
    expect(logged.flat()).toContain(ERROR_ADVICE.container_not_found);

    const invalid = await flow
      .createContainer({ image: "not an image!", name: "-bad" })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(FlowError);
    expect(invalid).toMatchObject({
      error_type: "validation_error",
      details: { operation: "create_container" },
    });
    expect((invalid as FlowError).details.issues?.map((i) => i.path).sort()).toEqual([
      "image",
      "name",
    ]);
    expect(handleError(invalid, quiet)).toBe("none");

    const missing = await flow
      .startContainer({ container_id: "sdk-no-such-container" })
      .catch((e: unknown) => e);
    expect(handleError(missing, quiet)).toBe("recreate");

    const id = await runFlow("err");
    // The manager gives up waiting for the container's reply: socket_timeout_error.
    const late = await flow
      .request(id, { command: "sleep", data: { ms: 30_000 } }, { replyTimeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(late).toMatchObject({ name: "FlowError", error_type: "socket_timeout_error" });
    // The client gives up first: FlowTimeoutError, and the advice is to retry.
    const slow = await flow
      .request(id, { command: "sleep", data: { ms: 30_000 } }, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(FlowTimeoutError);
    expect(handleError(slow, quiet)).toBe("retry");
  });

  it("a wrong token is refused: ready() and calls fail with FlowConnectionError", async () => {
    const intruder = createFlowClient(fm.url, { token: "not-the-token-at-all" });
    try {
      await expect(intruder.ready()).rejects.toThrow(/unauthorized/);
      const error = await intruder.listContainers().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlowConnectionError);
      expect(handleError(error, quiet)).toBe("reconnect");
    } finally {
      intruder.close();
    }
  });
});
