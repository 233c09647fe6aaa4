import { dockerFor, removeLabelled } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FLOW_IMAGE,
  FlowClient,
  type InProcessManager,
  startInProcess,
} from "../src/flow-harness.ts";
import { runLoad, startFlows } from "../src/flow-load.ts";

const docker = dockerFor();

/**
 * The scaled-down load run (bench/flow-load.ts is the full one: 200 clients, 20 containers):
 * bounded by a message count per client, with the duration as a cap.
 */
describe("flow manager under concurrent clients: no lost, duplicated or mixed-up replies", {
  timeout: 300_000,
}, () => {
  let fm: InProcessManager;
  let admin: FlowClient;
  let containers: string[];

  beforeAll(async () => {
    fm = await startInProcess("load", { LOG_LEVEL: "warn" });
    admin = await FlowClient.connect(fm.url);
    containers = await startFlows(admin, 4, FLOW_IMAGE);
  }, 300_000);

  afterAll(async () => {
    admin?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("20 clients x 4 containers, 40 messages each, 2 in flight per client", async () => {
    const result = await runLoad({
      url: fm.url,
      clients: 20,
      containers,
      durationMs: 120_000,
      maxPerClient: 40,
      window: 2,
    });
    console.info(`[flow-load] ${JSON.stringify(result)}`);
    expect(result.sent).toBe(20 * 40);
    expect(result.replied).toBe(result.sent);
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBe(0);
    expect(result.wrongData).toBe(0);
    expect(result.errors).toEqual({});
    // The manager serves on afterwards.
    expect((await admin.call("list_containers", {})).ok).toBe(true);
  });
});
