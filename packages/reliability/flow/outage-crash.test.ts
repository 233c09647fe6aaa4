/**
 * A flow that crashes while the manager's Docker event stream is down (engine restarting, live
 * restore keeping containers alive) is reported as container_crashed once the manager resyncs, and
 * crash recovery restarts it. (Found by this suite: the resync used to report only status_changed.)
 */
import { testLabels, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ThrowawayEngine } from "../src/flow-engine.ts";
import {
  FlowClient,
  type InProcessManager,
  startInProcess,
  uniqueId,
} from "../src/flow-harness.ts";

describe("a container crashes while the Docker engine is down (live restore)", {
  timeout: 600_000,
}, () => {
  const engine = new ThrowawayEngine({ liveRestore: true });
  let fm: InProcessManager;
  let client: FlowClient;
  let victim: string;
  let survivor: string;

  beforeAll(async () => {
    await engine.create();
    await engine.buildImages();
    fm = await startInProcess("live", { DOCKER_HOST: engine.host, LOG_LEVEL: "info" });
    client = await FlowClient.connect(fm.url);
    const ids: string[] = [];
    for (const tag of ["victim", "survivor"]) {
      const created = await client.ok("create_container", {
        image: "flow:latest",
        name: uniqueId(tag),
        labels: testLabels(),
        crash_recovery: { enabled: true, max_restarts: 3, initial_delay_ms: 100 },
      });
      await client.ok("start_container", { container_id: created.container_id });
      ids.push(created.container_id);
    }
    [victim, survivor] = ids as [string, string];
  }, 600_000);

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await engine.destroy();
  });

  it("the crash during the outage is reported and recovered once the engine is back", async () => {
    const pid = (await engine.docker.getContainer(victim).inspect()).State.Pid;
    expect(await client.ask(survivor, "echo", 1)).toEqual({ command: "result", data: 1 });
    client.received.splice(0);
    await engine.stop();
    process.kill(pid, "SIGKILL"); // the flow dies while no engine watches it
    await engine.start();
    const crash = await client.waitEvent(
      "container_crashed",
      (c) => c.container_id === victim,
      60_000,
    );
    expect(crash.exit_code).toBe(137);
    expect(crash.recovery).toMatchObject({ attempt: 1 });
    // Crash recovery restarts it; both answer again.
    await waitFor(
      async () =>
        (await client.ok("get_container_status", { container_id: victim })).status === "running",
      { timeoutMs: 60_000, message: "the victim to be restarted by crash recovery" },
    );
    expect(await client.ask(victim, "echo", 2)).toEqual({ command: "result", data: 2 });
    expect(await client.ask(survivor, "echo", 3)).toEqual({ command: "result", data: 3 });
    expect(client.events("container_crashed").map((c) => c.container_id)).toEqual([victim]);
  });
});
