import { removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ask,
  docker,
  runFlow,
  startTestManager,
  TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

describe("monitoring pushes from Docker's event stream and streaming stats", () => {
  let fm: TestManager;
  let client: TestClient;
  let watcher: TestClient;

  beforeAll(async () => {
    fm = await startTestManager({
      FLOW_CPU_WARN_PERCENT: "15",
      FLOW_WARN_HYSTERESIS_PERCENT: "10",
    });
    [client, watcher] = await Promise.all([TestClient.connect(fm.url), TestClient.connect(fm.url)]);
  });

  afterAll(async () => {
    client?.close();
    watcher?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("a crash (exit 3) is reported to every client as container_crashed, without recovery unless asked", async () => {
    const id = await runFlow(client, uniqueName("crash"));
    await ask(client, id, "crash", { exit_code: 3 });
    for (const c of [client, watcher]) {
      const crashed = await c.waitEvent("container_crashed", (e) => e.container_id === id);
      expect(crashed).toMatchObject({ exit_code: 3, oom_killed: false, recovery: null });
    }
    const status = await client.ok("get_container_status", { container_id: id });
    expect(status).toMatchObject({ status: "exited", exit_code: 3, oom_killed: false });
    expect(status.status_history.map((h) => h.status)).toEqual(["created", "running", "exited"]);
  });

  it("crash recovery restarts with exponential backoff, capped, up to the limit", async () => {
    const id = await runFlow(client, uniqueName("recover"), {
      crash_recovery: { max_restarts: 2, initial_delay_ms: 100, max_delay_ms: 150 },
    });
    // The second attempt's doubled delay (200 ms) is over the cap.
    const delays = [100, 150];
    for (const attempt of [1, 2]) {
      await ask(client, id, "crash", { exit_code: 3 });
      const crashed = await client.waitEvent(
        "container_crashed",
        (e) => e.container_id === id && e.recovery?.attempt === attempt,
      );
      expect(crashed.recovery).toEqual({
        attempt,
        max_restarts: 2,
        delay_ms: delays[attempt - 1],
      });
      await waitFor(async () => {
        const s = await client.ok("get_container_status", { container_id: id });
        return (
          s.status === "running" &&
          s.restart_count === 0 &&
          s.status_history.length >= 2 + attempt * 2
        );
      });
      await client.waitEvent(
        "activity_log",
        (e) =>
          e.activity_type === "crash_recovery" &&
          e.container_id === id &&
          e.details.attempt === attempt &&
          !("max_restarts" in e.details),
      );
    }
    // The third crash is past the limit: reported, not recovered.
    await ask(client, id, "crash", { exit_code: 3 });
    await waitFor(() =>
      client.events("container_crashed").filter((e) => e.container_id === id).length === 3
        ? true
        : undefined,
    );
    const third = client.events("container_crashed").filter((e) => e.container_id === id)[2];
    expect(third?.recovery).toBeNull();
  });

  it("an OOM kill under a small memory limit is a crash with oom_killed", async () => {
    const id = await runFlow(client, uniqueName("oom"), { memory_limit: "64m" });
    await client.ok("send_message", {
      container_id: id,
      message: { command: "allocate", data: { mb: 512 } },
    });
    const crashed = await client.waitEvent("container_crashed", (e) => e.container_id === id);
    expect(crashed).toMatchObject({ oom_killed: true, exit_code: 137 });
    const status = await client.ok("get_container_status", { container_id: id });
    expect(status).toMatchObject({ status: "exited", oom_killed: true });
  });

  it("a failing health check gives one container_health_warning and health 'unhealthy'", async () => {
    const id = await runFlow(client, uniqueName("health"), {
      healthcheck: { test: ["CMD-SHELL", "exit 1"], interval_seconds: 0.5, retries: 1 },
    });
    const warning = await watcher.waitEvent(
      "container_health_warning",
      (e) => e.container_id === id && e.warning_type === "unhealthy",
    );
    expect(warning.message).toMatch(/unhealthy/);
    const status = await client.ok("get_container_status", { container_id: id });
    expect(status.health).toBe("unhealthy");
    const list = await client.ok("list_containers", {});
    expect(list.containers.find((c) => c.id === id)?.health).toBe("unhealthy");
    // Docker keeps failing the check; the warning is not repeated for every failed probe.
    await waitFor(
      async () => ((await docker.getContainer(id).inspect()).State.Health?.FailingStreak ?? 0) >= 4,
    );
    expect(
      watcher
        .events("container_health_warning")
        .filter((e) => e.container_id === id && e.warning_type === "unhealthy"),
    ).toHaveLength(1);
  });

  it("CPU above the threshold warns once per excursion (hysteresis, no flapping)", async () => {
    const id = await runFlow(client, uniqueName("cpu"));
    const burn = await ask(client, id, "burn", { ms: 4000 });
    expect(burn.message.command).toBe("result");
    const warnings = () =>
      watcher
        .events("container_health_warning")
        .filter((e) => e.container_id === id && e.warning_type === "cpu_high");
    await waitFor(() => (warnings().length > 0 ? true : undefined));
    // Let a few samples after the burn come in, then: one warning for the whole excursion.
    await waitFor(async () => {
      const s = await client.ok("get_container_status", { container_id: id });
      return s.resource_usage.cpu_percent < 2 ? true : undefined;
    });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ threshold: 15 });
    expect(warnings()[0]?.value).toBeGreaterThanOrEqual(15);
  });
});
