/**
 * Volume targets that reach the reserved folders are validation_errors however they are spelled:
 * "/run/flow/", "/run//flow", "/./run/flow", "//", and "/run/flow/flow.sock" (a mount over the
 * flow's own socket). (Found by this suite: they used to be compared as raw strings.)
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { dockerFor, removeLabelled } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FLOW_IMAGE,
  FlowClient,
  type InProcessManager,
  managedInDocker,
  startInProcess,
  uniqueId,
} from "../src/flow-harness.ts";

const docker = dockerFor();

describe("volume targets that reach the reserved socket folder are validation_errors", {
  timeout: 120_000,
}, () => {
  let fm: InProcessManager;
  let client: FlowClient;

  beforeAll(async () => {
    fm = await startInProcess("reserved", { LOG_LEVEL: "silent" });
    client = await FlowClient.connect(fm.url);
    await mkdir(join(fm.root, "data"));
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it.each([
    "/run/flow/",
    "/run//flow",
    "/run/flow/.",
    "/./run/flow",
    "//",
    "/.",
    "/run/flow/flow.sock",
  ])("target %s", async (target) => {
    const ack = (await client.raw("create_container", {
      image: FLOW_IMAGE,
      name: uniqueId("reserved"),
      volumes: { [join(fm.root, "data")]: target },
    })) as { ok: boolean; error?: { error_type: string; details: { operation?: string } } };
    expect(ack.ok).toBe(false);
    expect(ack.error?.error_type).toBe("validation_error");
    expect(ack.error?.details.operation).toBe("create_container");
    expect(await managedInDocker(docker, fm.managerId)).toEqual([]);
  });
});
