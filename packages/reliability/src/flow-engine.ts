import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { dockerFor, waitFor } from "@dockflow/testkit";
import type Docker from "dockerode";
import { FLOW_MANAGER_DIR } from "./flow-harness.ts";

const run = promisify(execFile);
const REPO = resolve(FLOW_MANAGER_DIR, "../..");

/**
 * A throwaway Docker engine that a test may stop and restart, never the shared one: its own
 * data root, exec root, pid file and socket, inside its own network namespace (so its bridge
 * never touches the host's docker0). Started with nsenter, not `ip netns exec`, which would
 * hide the cgroup mounts dockerd needs.
 */
export class ThrowawayEngine {
  readonly ns = `dfrel-${process.pid}-${randomBytes(3).toString("hex")}`;
  readonly dir = `/tmp/dfe-${randomBytes(4).toString("hex")}`;
  readonly socket = `${this.dir}/d.sock`;
  readonly host = `unix://${this.socket}`;
  readonly docker: Docker = dockerFor(`unix://${this.socket}`);
  private daemon: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  /** With live restore, containers keep running while dockerd is down. */
  constructor(private readonly options: { liveRestore?: boolean } = {}) {}

  async create(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await run("ip", ["netns", "add", this.ns]);
    await run("ip", ["netns", "exec", this.ns, "ip", "link", "set", "lo", "up"]);
    await this.start();
  }

  /** Starts dockerd and waits until it answers. */
  async start(): Promise<void> {
    const log = createWriteStream(`${this.dir}/dockerd.log`, { flags: "a" });
    const daemon = spawn(
      "nsenter",
      [
        `--net=/var/run/netns/${this.ns}`,
        "dockerd",
        `--data-root=${this.dir}/data`,
        `--exec-root=${this.dir}/exec`,
        `--pidfile=${this.dir}/docker.pid`,
        `--host=unix://${this.socket}`,
        "--iptables=false",
        "--shutdown-timeout=5",
        ...(this.options.liveRestore ? ["--live-restore"] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    daemon.stdout?.pipe(log);
    daemon.stderr?.pipe(log);
    this.daemon = daemon;
    this.exited = new Promise((done) => daemon.once("exit", () => done()));
    await waitFor(() => this.docker.ping().then(() => true), {
      timeoutMs: 60_000,
      message: "the throwaway dockerd to answer",
    });
  }

  /** Stops dockerd (SIGTERM: it stops its containers) and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.daemon) return;
    this.daemon.kill("SIGTERM");
    await this.exited;
    this.daemon = null;
  }

  /** Builds the base images and flow:latest in this engine, with the repository's scripts. */
  async buildImages(): Promise<void> {
    const env = { ...process.env, DOCKER_HOST: this.host };
    await run("bash", ["docker/base/build-local.sh"], { cwd: REPO, env });
    await run("bash", ["docker/flow-runtime/build-local.sh"], { cwd: REPO, env });
  }

  async log(): Promise<string> {
    return readFile(`${this.dir}/dockerd.log`, "utf8").catch(() => "");
  }

  /** Stops dockerd, then removes its data and the namespace. */
  async destroy(): Promise<void> {
    if (this.options.liveRestore && this.daemon) {
      // Live restore leaves containers (and containerd) running: remove them first.
      for (const c of await this.docker.listContainers({ all: true }).catch(() => [])) {
        await this.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }
    await this.stop().catch(() => undefined);
    // The containerd this dockerd started, by the pid it recorded, if it outlived dockerd.
    const pid = Number(
      await readFile(`${this.dir}/exec/containerd/containerd.pid`, "utf8").catch(() => ""),
    );
    const cmdline = pid > 0 ? await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "") : "";
    if (cmdline.includes(this.dir)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await run("sh", [
      "-c",
      `grep -o ' ${this.dir}[^ ]*' /proc/mounts | sort -r | xargs -r umount -l`,
    ]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
    await run("ip", ["netns", "del", this.ns]).catch(() => undefined);
  }
}
