import type { Logger } from "pino";
import { FlowError } from "../errors.ts";
import type { DockerExec, ExecProcess, OutputStream } from "./docker-exec.ts";
import { type ExecSpec, outputChunks, type TerminalSize } from "./policy.ts";

/** Why a session ended: by itself, `exec_close`, its client went away, or the manager stops. */
export type EndReason = "exited" | "closed" | "disconnected" | "shutdown";

/** How long a closed session's processes get after SIGHUP (then SIGKILL), and after SIGKILL. */
const CLOSE_GRACE_MS = 2000;

export interface ExecSessionOptions {
  id: string;
  clientId: string;
  container: { id: string; name: string };
  spec: ExecSpec;
  process: ExecProcess;
  docker: DockerExec;
  log: Logger;
  onOutput: (session: ExecSession, stream: OutputStream, bytes: Buffer) => void;
  onEnded: (session: ExecSession, exitCode: number | null, reason: EndReason) => void;
}

/** One running exec process: its output, input, terminal size and end. */
export class ExecSession {
  readonly id: string;
  readonly clientId: string;
  readonly container: { id: string; name: string };
  readonly spec: ExecSpec;
  /** Resolves once the process has ended and `onEnded` has been called. */
  readonly ended: Promise<void>;
  private readonly options: ExecSessionOptions;
  private output: Promise<void> | null = null;
  private reason: EndReason = "exited";
  private terminating = false;
  private paused = false;
  private markEnded: () => void = () => {};

  constructor(options: ExecSessionOptions) {
    this.options = options;
    this.id = options.id;
    this.clientId = options.clientId;
    this.container = options.container;
    this.spec = options.spec;
    this.ended = new Promise((resolve) => {
      this.markEnded = resolve;
    });
  }

  /** Starts forwarding output; called once the client has the session id. */
  begin(): void {
    if (this.output) return;
    const { process, onOutput, onEnded, log } = this.options;
    this.output = process.pipe((stream, bytes) => {
      for (const chunk of outputChunks(bytes)) onOutput(this, stream, chunk);
    });
    void this.output
      .then(() => process.exitCode())
      .then((exitCode) => {
        log.debug({ session_id: this.id, exit_code: exitCode }, "exec process ended");
        onEnded(this, exitCode, this.reason);
        this.markEnded();
      });
  }

  /**
   * Holds the output back until `fn` is handed a resume (the client's connection drained):
   * Docker then stops reading, and a process that keeps writing blocks, instead of the manager
   * buffering without bound. Does nothing if already held, or while the session is closing.
   */
  holdOutput(until: (resume: () => void) => void): void {
    if (this.paused || this.terminating) return;
    this.paused = true;
    this.options.log.debug({ session_id: this.id }, "exec output held until the client catches up");
    this.options.process.pause();
    until(() => this.releaseOutput());
  }

  private releaseOutput(): void {
    if (!this.paused) return;
    this.paused = false;
    this.options.process.resume();
  }

  async write(bytes: Buffer): Promise<void> {
    try {
      await this.options.process.write(bytes);
    } catch (error) {
      throw new FlowError(
        "docker_api_error",
        `exec session ${this.id}: input not written: ${(error as Error).message}`,
        { session_id: this.id, container_id: this.container.id },
      );
    }
  }

  async resize(size: TerminalSize): Promise<void> {
    try {
      await this.options.process.resize(size);
    } catch (error) {
      this.options.log.warn(
        { session_id: this.id, err: error },
        "exec terminal resize failed (the process may have ended)",
      );
      throw new FlowError(
        "docker_api_error",
        `exec session ${this.id}: resize failed: ${(error as Error).message}`,
        { session_id: this.id, container_id: this.container.id },
      );
    }
  }

  /**
   * Ends the process and everything it started: SIGHUP (a terminal's hang-up), then SIGKILL after
   * a grace period; resolves once it has ended. Docker itself never ends an exec whose client left.
   */
  async terminate(reason: EndReason): Promise<void> {
    if (this.terminating) return this.ended;
    this.terminating = true;
    this.reason = reason;
    this.begin();
    // The end of the output is how the end of the process shows: let it flow.
    this.releaseOutput();
    for (const signal of ["HUP", "KILL"] as const) {
      await this.signal(signal);
      if (await this.endsWithin(CLOSE_GRACE_MS)) return this.ended;
    }
    this.options.log.warn(
      { session_id: this.id, container_id: this.container.id },
      "exec process still running after SIGKILL; dropping its connection",
    );
    this.options.process.detach();
    return this.ended;
  }

  private async signal(signal: "HUP" | "KILL"): Promise<void> {
    try {
      await this.options.docker.signal(this.container.id, this.id, signal);
    } catch (error) {
      this.options.log.warn(
        { session_id: this.id, container_id: this.container.id, signal, err: error },
        "could not signal the exec session's processes",
      );
    }
  }

  private async endsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const ended = await Promise.race([this.ended.then(() => true as const), timeout]);
    clearTimeout(timer);
    return ended;
  }
}
