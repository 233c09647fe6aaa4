import { spawn } from "node:child_process";
import { access, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { removeLabelled, TEST_LABEL } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, startTestManager, type TestManager } from "./helpers.ts";

/**
 * The seed's client examples, run as they are written (only the address differs) from a real
 * socket.io-client (Node) and python-socketio (Python). They create `my-flow-container` from
 * `flow:latest` with the volume `/host/path` and port 8080, so:
 * - the manager's FLOW_ALLOWED_ROOTS is exactly `/host/path` (the narrowest root that lets the
 *   seed's volume through); the folder is created if missing and removed afterwards only if this
 *   test created it;
 * - every container the manager creates carries this run's test label (FLOW_DEFAULT_LABELS), so a
 *   leftover `my-flow-container` from an earlier test run is removed first, while one that is not
 *   labelled by tests stops the test instead of being touched.
 * The two runs share the name, so they run one after the other in this file.
 */
const SEED_NAME = "my-flow-container";
const SEED_HOST_PATH = "/host/path";
const fixtures = join(import.meta.dirname, "fixtures");

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function clearSeedName(): Promise<void> {
  const found = await docker.listContainers({ all: true, filters: { name: [`^/${SEED_NAME}$`] } });
  for (const c of found) {
    if (!c.Labels?.[TEST_LABEL]) {
      throw new Error(
        `a container named ${SEED_NAME} exists that no test created (${c.Id.slice(0, 12)}): remove it by hand to run this test`,
      );
    }
    await docker.getContainer(c.Id).remove({ force: true });
  }
}

function run(cmd: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd: fixtures });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("the seed's client examples, unchanged but for the address", () => {
  let fm: TestManager;
  const created: string[] = [];

  beforeAll(async () => {
    await clearSeedName();
    for (const dir of ["/host", SEED_HOST_PATH]) {
      if (!(await exists(dir))) {
        await mkdir(dir);
        created.unshift(dir);
      }
    }
    fm = await startTestManager({ FLOW_ALLOWED_ROOTS: SEED_HOST_PATH });
  });

  afterAll(async () => {
    await fm?.close();
    await removeLabelled(docker);
    for (const dir of created) await rm(dir, { recursive: true, force: true });
  });

  it("JavaScript (socket.io-client): connect, lifecycle, messaging, monitoring, error handling", async () => {
    const { code, out } = await run(process.execPath, ["seed-client.cjs"], {
      FLOW_MANAGER_URL: fm.url,
    });
    expect(out, out).toContain("DRIVER: done");
    expect(code).toBe(0);
    for (const line of [
      "Connected to Flow Manager",
      "Server welcome message: Connected to dockflow Flow Manager",
      "Container created:",
      "Container started:",
      "Message sent:",
      "Message received from container:",
      "Result received:",
      "processed: true",
      "input: 'sample input data'",
      "Container list:",
      `Container ${SEED_NAME} (`,
      "Container status:",
      "Container status changed:",
      "Container stopped:",
      "Container restarted:",
      "Error (container_not_found)",
      "Failed to start container: does-not-exist-",
      "Container deleted:",
      "Activity: container_created",
    ]) {
      expect(out, out).toContain(line);
    }
    expect(out).not.toMatch(/validation_error|system_error/);
  });

  it("Python (python-socketio): the same walk", async () => {
    const { code, out } = await run("/usr/bin/python3", ["-u", "seed_client.py"], {
      FLOW_MANAGER_URL: fm.url,
    });
    expect(out, out).toContain("DRIVER: done");
    expect(code).toBe(0);
    for (const line of [
      "Connected to Flow Manager",
      "Server welcome message: Connected to dockflow Flow Manager",
      "Container created:",
      "Container started:",
      "Message sent:",
      "Message received from container:",
      "Result received:",
      "'processed': True, 'input': 'sample input data'",
      "Container list:",
      "Container status:",
      "Container stopped:",
      "Container restarted:",
      "Error (container_not_found)",
      "Container deleted:",
      "Activity: container_created",
    ]) {
      expect(out, out).toContain(line);
    }
    expect(out).not.toMatch(/validation_error|system_error/);
  });
});
