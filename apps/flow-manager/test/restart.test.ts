import { removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, describe, expect, it } from "vitest";
import {
  ask,
  docker,
  runFlow,
  startTestManager,
  TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

describe("a restarted manager finds its containers again from Docker", () => {
  const managers: TestManager[] = [];
  const clients: TestClient[] = [];

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const m of managers) await m.close();
    await removeLabelled(docker);
  });

  it("keeps running containers through a restart and resumes talking, monitoring and recovering", async () => {
    const first = await startTestManager();
    managers.push(first);
    const before = await TestClient.connect(first.url);
    clients.push(before);
    const running = await runFlow(before, uniqueName("keep"), {
      crash_recovery: { max_restarts: 3, initial_delay_ms: 100 },
    });
    const stopped = await runFlow(before, uniqueName("stopped"));
    await before.ok("stop_container", { container_id: stopped, timeout: 1 });
    before.close();
    await first.close(true);

    // The manager is gone; its containers are not.
    expect((await docker.getContainer(running).inspect()).State.Running).toBe(true);

    const second = await startTestManager(first.env, first);
    managers.push(second);
    const after = await TestClient.connect(second.url);
    clients.push(after);

    const list = await after.ok("list_containers", {});
    expect(new Map(list.containers.map((c) => [c.id, c.status]))).toEqual(
      new Map([
        [running, "running"],
        [stopped, "exited"],
      ]),
    );
    expect((await ask(after, running, "echo", "still here")).message.data).toBe("still here");
    const status = await waitFor(async () => {
      const s = await after.ok("get_container_status", { container_id: running });
      return s.resource_usage.sampled_at ? s : undefined;
    });
    expect(status.status).toBe("running");

    // Its crash-recovery settings came back from the labels.
    await ask(after, running, "crash", { exit_code: 3 });
    const crashed = await after.waitEvent("container_crashed", (e) => e.container_id === running);
    expect(crashed.recovery).toMatchObject({ attempt: 1, max_restarts: 3 });
    await waitFor(async () => {
      const s = await after.ok("get_container_status", { container_id: running });
      return s.status === "running" && s.status_history.some((h) => h.status === "exited");
    });
    expect((await ask(after, running, "echo", "back")).message.data).toBe("back");
  });
});
