import { existsSync } from "node:fs";
import { chmod, rm } from "node:fs/promises";
import { join } from "node:path";
import { dockerFor, removeLabelled, testLabels, waitFor } from "@dockflow/testkit";
import type Docker from "dockerode";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { TestClient } from "./client.ts";
import { shortTempDir } from "./fixtures.ts";
import { tarOf } from "./tar.ts";

/** The real flow image (docker/flow-runtime/build-local.sh) on the real engine. */
const IMAGE = "flow:latest";
const docker = dockerFor();
const folders: string[] = [];
const clients: TestClient[] = [];

interface FlowContainer {
  container: Docker.Container;
  socketPath: string;
}

/** Runs the flow image with a temp host folder bind-mounted at /run/flow, like the manager does. */
async function runFlowContainer(): Promise<FlowContainer> {
  const folder = await shortTempDir("frd-");
  folders.push(folder);
  await chmod(folder, 0o777);
  const container = await docker.createContainer({
    Image: IMAGE,
    Labels: testLabels({ "dockflow.test.component": "flow-runtime" }),
    HostConfig: { Binds: [`${folder}:/run/flow`] },
  });
  await container.start();
  return { container, socketPath: join(folder, "flow.sock") };
}

/** Connects once the runtime in the container has created its socket. */
async function connectTo({ socketPath }: FlowContainer): Promise<TestClient> {
  const client = await waitFor(() => TestClient.connect(socketPath), {
    message: `the runtime's socket at ${socketPath}`,
  });
  clients.push(client);
  return client;
}

async function exited(container: Docker.Container): Promise<number> {
  const state = await waitFor(
    async () => {
      const { State } = await container.inspect();
      return State.Running ? undefined : State;
    },
    { message: "the container to exit" },
  );
  return state.ExitCode;
}

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  await removeLabelled(docker);
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

describe("the flow image on a real engine", () => {
  test("answers process through the bind-mounted socket, then runs code put into /app/flow", async () => {
    const flow = await runFlowContainer();
    const client = await connectTo(flow);
    expect(
      await client.call("process", { input: "sample input data", options: { format: "json" } }),
    ).toEqual({ processed: true, input: "sample input data", options: { format: "json" } });
    expect(await client.call("flow.ping")).toMatchObject({ pong: true, code_version: "builtin" });

    await flow.container.putArchive(
      tarOf({
        "index.mjs": `import { suffix } from "./lib/suffix.mjs";
export async function process(data, ctx) {
  ctx.status({ received: data.input });
  return { custom: true, output: data.input + suffix, node: globalThis.process.version };
}`,
        "lib/suffix.mjs": `export const suffix = "!";`,
      }),
      { path: "/app/flow" },
    );
    const reloaded = (await client.call("flow.reload")) as { code_version: string };
    expect(reloaded).toMatchObject({ reloaded: true, handlers: ["process"] });
    expect(reloaded.code_version).not.toBe("builtin");

    const { final, statuses } = await client.exchange("process", { input: "hi" });
    expect(statuses.map((s) => s.data)).toEqual([{ received: "hi" }]);
    expect(final).toMatchObject({
      command: "result",
      data: { custom: true, output: "hi!", node: expect.stringMatching(/^v\d+/) },
    });
  });

  test("`runtime.mjs healthcheck` succeeds inside a running container", async () => {
    const flow = await runFlowContainer();
    await connectTo(flow);
    const exec = await flow.container.exec({
      Cmd: ["node", "/opt/flow-runtime/runtime.mjs", "healthcheck"],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("error", reject);
      stream.resume();
    });
    const info = await waitFor(async () => {
      const result = await exec.inspect();
      return result.Running ? undefined : result;
    });
    expect(info.ExitCode).toBe(0);
  });

  test("crash makes the container exit with the given code", async () => {
    const flow = await runFlowContainer();
    const client = await connectTo(flow);
    expect(await client.call("crash", { exit_code: 7 })).toEqual({ crashing: true, exit_code: 7 });
    expect(await exited(flow.container)).toBe(7);
  });

  test("SIGTERM (docker stop) exits 0 and removes the socket file", async () => {
    const flow = await runFlowContainer();
    await connectTo(flow);
    // With a long grace period, anything but a handled SIGTERM would end as 137 (SIGKILL).
    await flow.container.stop({ t: 60 });
    expect(await exited(flow.container)).toBe(0);
    expect(existsSync(flow.socketPath)).toBe(false);
  });
});
