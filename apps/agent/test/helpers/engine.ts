import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { dockerFor, waitFor } from "@dockflow/testkit";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url));

/**
 * A throwaway Docker engine for tests that restart it: its own data/exec roots, pidfile and Unix
 * socket, inside its own network namespace (so its bridge and iptables never touch the host's).
 */
export class ThrowawayEngine {
  readonly id = randomBytes(3).toString("hex");
  readonly netns = `dockflow-agent-test-${this.id}`;
  readonly dir = `/tmp/dfa-${this.id}`;
  readonly socket = `${this.dir}/docker.sock`;
  readonly host = `unix://${this.socket}`;
  private process: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  get docker() {
    return dockerFor(this.host);
  }

  async create(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await run("ip", ["netns", "add", this.netns]);
    await run("nsenter", [`--net=/var/run/netns/${this.netns}`, "ip", "link", "set", "lo", "up"]);
    await this.start();
    // The images the agent needs, built from the local bases as on the other engines.
    const env = { ...process.env, DOCKER_HOST: this.host };
    await run("bash", [`${repoRoot}/docker/base/build-local.sh`], { env });
    await run("bash", [`${repoRoot}/docker/cloudflared-standin/build-local.sh`], { env });
  }

  async start(): Promise<void> {
    const log = await open(`${this.dir}/dockerd.log`, "a");
    // nsenter execs dockerd (no fork), so this child is dockerd itself.
    this.process = spawn(
      "nsenter",
      [
        `--net=/var/run/netns/${this.netns}`,
        "dockerd",
        "--data-root",
        `${this.dir}/data`,
        "--exec-root",
        `${this.dir}/exec`,
        "--pidfile",
        `${this.dir}/dockerd.pid`,
        "-H",
        this.host,
      ],
      { stdio: ["ignore", log.fd, log.fd] },
    );
    const child = this.process;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    void this.exited.then(() => log.close());
    await waitFor(() => this.docker.ping().then(() => true), {
      message: "throwaway dockerd answers",
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }

  /** Stops dockerd (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.process || this.process.exitCode !== null) return;
    this.process.kill("SIGTERM");
    await this.exited;
    this.process = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    await run("ip", ["netns", "delete", this.netns]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
