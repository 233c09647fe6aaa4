import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import type { DockerAdapter } from "../docker.ts";
import { fromDocker } from "../errors.ts";
import { StreamDemuxer } from "../logs/demux.ts";
import { type ExecSpec, signalCommand, type TerminalSize } from "./policy.ts";

export type OutputStream = "stdout" | "stderr";

/** A started exec process, in Docker's terms. */
export interface ExecProcess {
  /** Writes to the process's standard input. */
  write(bytes: Buffer): Promise<void>;
  /**
   * Starts delivering output (demultiplexed unless a terminal merges it); resolves when the
   * process has closed its output (it ended, or was killed).
   */
  pipe(onOutput: (stream: OutputStream, bytes: Buffer) => void): Promise<void>;
  /** Stops reading output (Docker, then the process, wait) until `resume`. */
  pause(): void;
  resume(): void;
  resize(size: TerminalSize): Promise<void>;
  /** The exit code once the process has ended; null when Docker no longer knows the exec. */
  exitCode(): Promise<number | null>;
  /** Drops the connection (the process itself is ended with `DockerExec.signal`). */
  detach(): void;
}

export interface DockerExecOptions {
  adapter: DockerAdapter;
}

/** How often, and how long apart, a just-ended exec is inspected until Docker has its exit code. */
const EXIT_CODE_ATTEMPTS = 20;
const EXIT_CODE_RETRY_MS = 50;

/** Exec create, start with a hijacked stream, resize, inspect: the Docker calls of exec sessions. */
export class DockerExec {
  private readonly adapter: DockerAdapter;

  constructor(options: DockerExecOptions) {
    this.adapter = options.adapter;
  }

  async start(containerId: string, spec: ExecSpec): Promise<ExecProcess> {
    const docker = this.adapter.docker;
    let exec: Docker.Exec;
    let stream: Duplex;
    try {
      exec = await docker.getContainer(containerId).exec({
        Cmd: spec.cmd,
        Env: spec.env,
        Tty: spec.tty,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
      });
      // Tty here (not only at create) is what makes Docker send raw bytes instead of frames.
      stream = await exec.start({ hijack: true, stdin: true, Tty: spec.tty });
    } catch (error) {
      throw fromDocker(error, { containerId });
    }
    return new HijackedExec(exec, stream, spec.tty);
  }

  /** Sends `signal` to every process of the session, through a second exec in the container. */
  async signal(containerId: string, sessionId: string, signal: "HUP" | "KILL"): Promise<void> {
    await this.adapter.exec(containerId, signalCommand(sessionId, signal));
  }
}

class HijackedExec implements ExecProcess {
  constructor(
    private readonly exec: Docker.Exec,
    private readonly stream: Duplex,
    private readonly tty: boolean,
  ) {
    // Errors surface as the end of the output; the session then reads the exit code.
    stream.on("error", () => stream.destroy());
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.stream.destroyed || this.stream.writableEnded) {
        reject(new Error("the process's input is closed"));
        return;
      }
      this.stream.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  pipe(onOutput: (stream: OutputStream, bytes: Buffer) => void): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.stream.once("close", () => resolve());
      this.stream.once("end", () => resolve());
    });
    // Frames (stdout/stderr) without a terminal, raw bytes with one: the logs' demultiplexer.
    const demuxer = new StreamDemuxer({ tty: this.tty });
    this.stream.on("data", (chunk: Buffer) => {
      for (const piece of demuxer.push(chunk)) onOutput(piece.stream, piece.data);
    });
    return done;
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  async resize(size: TerminalSize): Promise<void> {
    await this.exec.resize({ w: size.cols, h: size.rows });
  }

  async exitCode(): Promise<number | null> {
    for (let attempt = 1; ; attempt++) {
      let info: Docker.ExecInspectInfo;
      try {
        info = await this.exec.inspect();
      } catch {
        return null;
      }
      if (!info.Running) return info.ExitCode ?? null;
      if (attempt >= EXIT_CODE_ATTEMPTS) return null;
      await new Promise((resolve) => setTimeout(resolve, EXIT_CODE_RETRY_MS));
    }
  }

  detach(): void {
    this.stream.destroy();
  }
}
