import { removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFlowClient,
  type FlowClient,
  FlowConnectionError,
  type FlowExecOutput,
  isFlowError,
} from "../src/index.ts";
import {
  docker,
  FLOW_IMAGE,
  startTestFlowManager,
  type TestFlowManager,
  uniqueName,
} from "./support/flow-manager.ts";

const text = (chunks: FlowExecOutput[], stream: "stdout" | "stderr" = "stdout") =>
  Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString("utf8");

describe("flow.exec against a real flow manager", () => {
  let fm: TestFlowManager;
  let flow: FlowClient;
  let containerId: string;

  beforeAll(async () => {
    fm = await startTestFlowManager({ FLOW_EXEC_ENABLED: "true" });
    flow = createFlowClient(fm.url, { token: fm.token });
    const created = await flow.createContainer({ image: FLOW_IMAGE, name: uniqueName("exec") });
    containerId = created.container_id;
    await flow.startContainer({ container_id: containerId });
  });
  afterAll(async () => {
    flow?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("writes input, iterates output to the end and resolves the exit code", async () => {
    const session = await flow.exec(containerId, { cmd: ["sh", "-c", "read x; echo got:$x"] });
    expect(session.containerId).toBe(containerId);
    expect(session.tty).toBe(false);
    await session.write("hello\n");
    const chunks: FlowExecOutput[] = [];
    for await (const chunk of session) chunks.push(chunk);
    expect(text(chunks)).toBe("got:hello\n");
    expect(await session.exitCode).toBe(0);
  });

  it("passes bytes both ways unchanged, and keeps stderr apart", async () => {
    const session = await flow.exec(containerId, {
      cmd: ["sh", "-c", "read x; echo $x; printf '\\377\\376' >&2; exit 3"],
    });
    await session.write(new Uint8Array([0x62, 0x79, 0x74, 0x65, 0x73, 0x0a]));
    const chunks: FlowExecOutput[] = [];
    for await (const chunk of session) chunks.push(chunk);
    expect(text(chunks)).toBe("bytes\n");
    const stderr = chunks.filter((c) => c.stream === "stderr").flatMap((c) => [...c.data]);
    expect(stderr).toEqual([0xff, 0xfe]);
    expect(await session.exitCode).toBe(3);
  });

  it("drives a terminal: size, resize, close with the hang-up's exit code", async () => {
    const session = await flow.exec(containerId, { tty: true, cols: 90, rows: 20 });
    const chunks: FlowExecOutput[] = [];
    session.onOutput((chunk) => chunks.push(chunk));
    await session.write("stty size\n");
    await waitFor(() => text(chunks).includes("20 90"), { message: "initial size" });
    await session.resize(100, 30);
    await session.write("stty size\n");
    await waitFor(() => text(chunks).includes("30 100"), { message: "resized" });
    expect(await session.close()).toBe(129);
  });

  it("rejects with the manager's error for a container that does not exist", async () => {
    const error = await flow.exec("no-such-container-here").catch((e: unknown) => e);
    expect(isFlowError(error, "container_not_found")).toBe(true);
  });

  it("ends a session with the connection: exitCode rejects with FlowConnectionError", async () => {
    const other = createFlowClient(fm.url, { token: fm.token });
    try {
      const session = await other.exec(containerId, { cmd: ["sleep", "300"] });
      other.close();
      const error = await session.exitCode.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlowConnectionError);
    } finally {
      other.close();
    }
  });
});
