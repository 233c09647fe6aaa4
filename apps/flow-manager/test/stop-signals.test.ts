import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFrom } from "../src/index.ts";
import { docker, runFlow, startManagerWithClient, type TestClient, uniqueName } from "./helpers.ts";

/**
 * A flow stopped or restarted right after it started ends by its SIGTERM (143, or 0 once the
 * runtime's handler is in place), not by the SIGKILL at the end of the grace period (137): Docker's
 * init runs as PID 1 and hands the signal on, while a Node process as PID 1 ignores SIGTERM until it
 * has installed a handler. A command that really ignores SIGTERM still ends by SIGKILL.
 */
const BUSYBOX = "dockflow-base/busybox:local";
/** Long enough that a SIGKILL at its end could not pass for a clean stop. */
const GRACE_SECONDS = 10;

/** Exit codes of the container's `die` events between `since` and now, in order. */
async function dieExitCodes(id: string, since: number): Promise<number[]> {
  const stream = (await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { container: [id], event: ["die"] },
  })) as unknown as NodeJS.ReadableStream;
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => Number(JSON.parse(line).Actor.Attributes.exitCode));
}

describe("stops and restarts that do not wait out the grace period", () => {
  let setup: Awaited<ReturnType<typeof startManagerWithClient>>;
  let client: TestClient;

  beforeAll(async () => {
    setup = await startManagerWithClient();
    client = setup.client;
  });
  afterAll(() => setup?.close());

  it("runs every container it creates under Docker's init, unless FLOW_CONTAINER_INIT=false", async () => {
    const { container_id } = await client.ok("create_container", {
      image: BUSYBOX,
      name: uniqueName("init"),
      command: ["true"],
    });
    expect((await docker.getContainer(container_id).inspect()).HostConfig.Init).toBe(true);
    expect(configFrom({}).containerInit).toBe(true);
    expect(configFrom({ FLOW_CONTAINER_INIT: "false" }).containerInit).toBe(false);
    expect(() => configFrom({ FLOW_CONTAINER_INIT: "maybe" })).toThrow(/FLOW_CONTAINER_INIT/);
  });

  it("stop_container right after container_started: exit 143 or 0", async () => {
    const id = await runFlow(client, uniqueName("stop"));
    const stopped = await client.ok("stop_container", {
      container_id: id,
      timeout: GRACE_SECONDS,
    });
    expect(stopped.status).toBe("exited");
    expect([0, 143]).toContain(stopped.exit_code);
    const event = await client.waitEvent("container_stopped", (e) => e.container_id === id);
    expect(event.exit_code).toBe(stopped.exit_code);
  });

  it("restart_container right after container_started: the stop half exits 143 or 0", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = await runFlow(client, uniqueName("restart"));
    const restarted = await client.ok("restart_container", {
      container_id: id,
      timeout: GRACE_SECONDS,
    });
    expect(restarted.status).toBe("running");
    const codes = await waitFor(async () => {
      const found = await dieExitCodes(id, since);
      return found.length > 0 ? found : undefined;
    });
    expect(codes).toHaveLength(1);
    expect([0, 143]).toContain(codes[0]);
    expect(client.events("container_crashed").filter((e) => e.container_id === id)).toEqual([]);
  });

  it("a command that ignores SIGTERM is still killed at the end of the grace period: 137", async () => {
    const { container_id: id } = await client.ok("create_container", {
      image: BUSYBOX,
      name: uniqueName("stubborn"),
      command: ["sh", "-c", 'trap "" TERM; echo ready; while true; do sleep 1; done'],
    });
    await client.ok("start_container", { container_id: id });
    // Signal only once the trap is set, or the shell would still die of the SIGTERM (143).
    await waitFor(async () => {
      const logs = await docker.getContainer(id).logs({ stdout: true, stderr: true });
      return logs.toString().includes("ready") || undefined;
    });
    const stopped = await client.ok("stop_container", { container_id: id, timeout: 1 });
    expect(stopped.exit_code).toBe(137);
  });
});
