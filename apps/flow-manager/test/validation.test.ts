import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { ClientEventName } from "@dockflow/protocol";
import { removeLabelled, testLabels } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  docker,
  FLOW_IMAGE,
  startTestManager,
  TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

type Failure = {
  ok: false;
  error: { error_type: string; message: string; details: Record<string, unknown> };
};

describe("every request is validated; malformed input is a validation_error and the server keeps serving", () => {
  let fm: TestManager;
  let client: TestClient;
  let unmanagedId: string;

  beforeAll(async () => {
    fm = await startTestManager();
    client = await TestClient.connect(fm.url);
    // A container this manager did not create: it must stay invisible (container_not_found).
    const other = await docker.createContainer({
      Image: "dockflow-base/busybox:local",
      name: uniqueName("unmanaged"),
      Cmd: ["sleep", "3600"],
      Labels: testLabels(),
    });
    unmanagedId = other.id;
  });

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  async function expectFailure(
    event: string,
    payload: unknown,
    type: string,
  ): Promise<Failure["error"]> {
    const ack = (await client.raw(event, payload)) as Failure;
    expect(ack.ok, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`).toBe(false);
    expect(ack.error.error_type, ack.error.message).toBe(type);
    return ack.error;
  }

  const missing: [ClientEventName, unknown][] = [
    ["create_container", {}],
    ["create_container", { name: "x" }],
    ["start_container", {}],
    ["stop_container", {}],
    ["restart_container", {}],
    ["update_container", { container_id: "abc" }],
    ["update_container", { code_path: "/tmp" }],
    ["delete_container", {}],
    ["send_message", { container_id: "abc" }],
    ["send_message", { container_id: "abc", message: { data: 1 } }],
    ["get_container_status", {}],
  ];
  it.each(missing)("missing fields: %s %j", async (event, payload) => {
    const error = await expectFailure(event, payload, "validation_error");
    expect(error.details.operation).toBe(event);
    expect(Array.isArray(error.details.issues)).toBe(true);
  });

  const wrongTypes: [ClientEventName, unknown][] = [
    ["create_container", { image: 42 }],
    ["create_container", { image: "flow:latest", environment: { A: 1 } }],
    ["create_container", { image: "flow:latest", volumes: { relative: "/x" } }],
    ["create_container", { image: "flow:latest", ports: { http: 80 } }],
    ["create_container", { image: "flow:latest", ports: { "80": 70000 } }],
    ["create_container", { image: "flow:latest", memory_limit: "lots" }],
    ["create_container", { image: "flow:latest", privileged: true }],
    ["create_container", { image: "flow:latest", crash_recovery: { max_restarts: "many" } }],
    ["start_container", { container_id: 123 }],
    ["start_container", { container_id: "../etc" }],
    ["stop_container", { container_id: "abc", timeout: "soon" }],
    ["delete_container", { container_id: "abc", force: "yes" }],
    ["send_message", { container_id: "abc", message: "hello" }],
    ["send_message", { container_id: "abc", message: { command: 5 } }],
    ["send_message", { container_id: "abc", message: { command: "x" }, timeout_ms: -1 }],
    ["get_container_status", { container_id: ["a"] }],
    ["list_containers", { all: "yes" }],
    ["list_containers", { unexpected: true }],
    ["get_activity_log", { limit: "ten" }],
    ["start_container", "just a string"],
    ["start_container", null],
    ["start_container", [1, 2, 3]],
    ["start_container", 7],
  ];
  it.each(wrongTypes)("wrong types: %s %j", async (event, payload) => {
    await expectFailure(event, payload, "validation_error");
  });

  const byContainer: [ClientEventName, Record<string, unknown>][] = [
    ["start_container", {}],
    ["stop_container", {}],
    ["restart_container", {}],
    ["delete_container", {}],
    ["update_container", { code_path: "/" }],
    ["send_message", { message: { command: "echo" } }],
    ["get_container_status", {}],
  ];
  it.each(byContainer)("unknown and unmanaged containers: %s", async (event, extra) => {
    for (const ref of ["no-such-container-anywhere", unmanagedId, unmanagedId.slice(0, 12)]) {
      const error = await expectFailure(
        event,
        { container_id: ref, request_id: "r-404", ...extra },
        // update_container checks its code_path first only for known containers
        "container_not_found",
      );
      expect(error.details).toMatchObject({ operation: event, request_id: "r-404" });
    }
  });

  it("oversized payloads are validation_errors, and the connection survives", async () => {
    const big = "x".repeat(1024 * 1024 + 10);
    const create = await expectFailure(
      "create_container",
      { image: FLOW_IMAGE, environment: { BIG: big }, request_id: "big-1" },
      "validation_error",
    );
    expect(create.message).toMatch(/exceeds the limit/);
    expect(create.details).toMatchObject({ operation: "create_container", request_id: "big-1" });
    await expectFailure(
      "send_message",
      { container_id: "abc", message: { command: "echo", data: big } },
      "validation_error",
    );
    expect(client.socket.connected).toBe(true);
    expect((await client.call("list_containers", {})).ok).toBe(true);
  });

  it("volumes and code paths outside FLOW_ALLOWED_ROOTS (.., symlinks) are refused", async () => {
    const inside = join(fm.root, "inside");
    await mkdir(inside);
    await symlink("/etc", join(fm.root, "escape"));
    for (const host of [
      "/etc",
      `${fm.root}/../`,
      `${fm.root}/inside/../../etc`,
      join(fm.root, "escape"),
      join(fm.root, "does-not-exist"),
    ]) {
      const error = await expectFailure(
        "create_container",
        { image: FLOW_IMAGE, volumes: { [host]: "/data" } },
        "validation_error",
      );
      expect(error.details.operation).toBe("create_container");
    }
    // Reserved targets, however they are spelled: the root, the socket folder, the code folder.
    for (const target of [
      "/",
      "//",
      "/.",
      "/run/flow",
      "/run/flow/",
      "/run//flow",
      "/run/flow/.",
      "/./run/flow",
      "/run/flow/flow.sock",
      "/run/flow:ro",
      "/app/flow",
      "/app/flow/lib",
      "/app/../app/flow",
    ]) {
      const error = await expectFailure(
        "create_container",
        { image: FLOW_IMAGE, volumes: { [inside]: target } },
        "validation_error",
      );
      expect(error.message).toMatch(/reserved/);
    }
    await expectFailure(
      "create_container",
      { image: FLOW_IMAGE, labels: { "dockflow.flow.managed": "false" } },
      "validation_error",
    );
  });

  it("unknown events, missing payloads and acks-less requests", async () => {
    const unknown = (await client.raw("drop_database", {})) as Failure;
    expect(unknown.error.error_type).toBe("validation_error");
    // No payload at all: optional-only requests still work.
    const list = (await client.raw("list_containers")) as { ok: boolean };
    expect(list.ok).toBe(true);
    // Without an ack callback the error arrives as an `error` event, to this client.
    client.socket.emit("start_container", { request_id: "no-ack-1" } as never);
    const error = await client.waitEvent("error", (e) => e.details.request_id === "no-ack-1");
    expect(error).toMatchObject({
      error_type: "validation_error",
      details: { operation: "start_container", request_id: "no-ack-1" },
    });
    // An invalid request_id is not echoed, but the request is still answered.
    const bad = await expectFailure(
      "start_container",
      { request_id: "has spaces" },
      "validation_error",
    );
    expect(bad.details.request_id).toBeUndefined();
    expect((await client.call("list_containers", {})).ok).toBe(true);
  });
});
