import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { dockerFor, removeLabelled } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FLOW_IMAGE,
  FlowClient,
  type ManagerDirs,
  ManagerProcess,
  managedInDocker,
  managerDirs,
  managerEnv,
  uniqueId,
} from "../src/flow-harness.ts";

const docker = dockerFor();
/** Kill/restart cycles (FLOW_FAULT_CYCLES overrides; the dedicated run uses more). */
const CYCLES = Number(process.env.FLOW_FAULT_CYCLES ?? 3);

describe("flow manager killed with SIGKILL mid-operation and restarted", {
  timeout: 600_000,
}, () => {
  const token = `sigkill-${randomBytes(20).toString("hex")}`;
  let dirs: ManagerDirs;
  let env: Record<string, string>;
  let proc: ManagerProcess | undefined;
  const outputs: string[] = [];
  /** Containers whose create was acknowledged: they must never be lost. */
  const acked = new Set<string>();
  let orphanDirs = 0;

  beforeAll(async () => {
    dirs = await managerDirs("sigkill");
    env = managerEnv(dirs, { FLOW_MANAGER_TOKEN: token, LOG_LEVEL: "debug" });
  });

  afterAll(async () => {
    if (proc?.alive) await proc.kill("SIGTERM");
    await removeLabelled(docker);
    await rm(dirs.root, { recursive: true, force: true });
    await rm(dirs.socketRoot, { recursive: true, force: true });
    console.info(
      `[flow-sigkill] ${CYCLES} SIGKILLs survived, ${acked.size} acknowledged containers, none lost; ` +
        `socket folders left without a container: ${orphanDirs}`,
    );
  });

  /** The restarted manager's view equals Docker's, and every acknowledged container is in it. */
  async function checkNothingLost(client: FlowClient): Promise<string[]> {
    const inDocker = await managedInDocker(docker, dirs.managerId);
    const list = await client.ok("list_containers", {});
    const seen = list.containers.map((c) => `${c.id}:${c.status}`).sort();
    expect(seen).toEqual(inDocker);
    const ids = new Set(list.containers.map((c) => c.id));
    for (const id of acked)
      expect(ids.has(id), `acknowledged container ${id} is listed`).toBe(true);
    return list.containers.filter((c) => c.status === "running").map((c) => c.id);
  }

  it("finds its containers again from Docker labels after each kill, and loses nothing", async () => {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      proc = await ManagerProcess.start(env);
      const client = await FlowClient.connect(proc.url, { token });
      const running = await checkNothingLost(client);
      // Every running container answers through the restarted manager (sockets found from labels).
      for (const id of running) {
        expect(await client.ask(id, "echo", { cycle, id })).toEqual({
          command: "result",
          data: { cycle, id },
        });
      }
      const created = await client.ok("create_container", {
        image: FLOW_IMAGE,
        name: uniqueId(`k${cycle}`),
      });
      acked.add(created.container_id);
      await client.ok("start_container", { container_id: created.container_id });
      // Mid-operation: requests in flight (a create, a stop, a slow message) when the kill lands.
      client.socket.emit("create_container", {
        image: FLOW_IMAGE,
        name: uniqueId(`inflight${cycle}`),
      });
      if (running[0]) client.socket.emit("stop_container", { container_id: running[0] });
      client.socket.emit("send_message", {
        container_id: created.container_id,
        message: { command: "sleep", data: { ms: 5000 } },
      });
      const outcome = await proc.kill("SIGKILL");
      expect(outcome).toBeNull(); // killed by the signal, not exited
      outputs.push(proc.output.text);
      client.close();
    }

    // The last restart: everything is there; a crash of a recovered container is still reported.
    proc = await ManagerProcess.start(env);
    const client = await FlowClient.connect(proc.url, { token });
    const running = await checkNothingLost(client);
    const victim = running[0];
    expect(victim).toBeDefined();
    await docker.getContainer(victim!).kill({ signal: "SIGKILL" });
    const crash = await client.waitEvent("container_crashed", (c) => c.container_id === victim);
    expect(crash.exit_code).toBe(137);

    // Socket folders: every container still has its own.
    const folders = await readdir(dirs.socketRoot);
    const inDocker = await managedInDocker(docker, dirs.managerId);
    orphanDirs = Math.max(0, folders.length - inDocker.length);

    // Clean up through the manager: Docker ends with none of them.
    for (const entry of inDocker) {
      await client.ok("delete_container", { container_id: entry.split(":")[0]! });
    }
    expect(await managedInDocker(docker, dirs.managerId)).toEqual([]);
    client.close();
    await proc.kill("SIGTERM");
    outputs.push(proc.output.text);
  });

  it("the token never appeared in any run's output", () => {
    expect(outputs.length).toBe(CYCLES + 1);
    for (const out of outputs) {
      expect(out.length).toBeGreaterThan(0);
      expect(out).not.toContain(token);
    }
  });
});
