import type { Readable } from "node:stream";
import type { LogLine } from "@dockflow/protocol";
import type { DockerAdapter } from "../docker.ts";
import { FlowError, fromDocker } from "../errors.ts";
import { dockerTimeArg } from "./docker-time.ts";
import { LogDecoder } from "./log-decoder.ts";

export interface ReadLogsOptions {
  tail: number;
  sinceNs?: bigint;
  timestamps: boolean;
}

export interface FollowHandlers {
  onLines(lines: LogLine[]): void;
  /** The stream ended (the container stopped or was removed, or the engine went away). */
  onEnd(): void;
}

export interface LogFollow {
  close(): void;
}

/** Where the hub reads logs from: Docker, or a stand-in in unit tests. */
export interface LogSource {
  read(id: string, options: ReadLogsOptions): Promise<LogLine[]>;
  /** Follows the container's output from `sinceNs` on, with timestamps. */
  follow(id: string, sinceNs: bigint, handlers: FollowHandlers): Promise<LogFollow>;
  exists(id: string): Promise<boolean>;
}

/** Docker's `GET /containers/{id}/logs`, demultiplexed per the container's `Config.Tty`. */
export class DockerLogSource implements LogSource {
  constructor(private readonly options: { docker: DockerAdapter }) {}

  async read(id: string, options: ReadLogsOptions): Promise<LogLine[]> {
    const tty = await this.tty(id);
    let body: Buffer;
    try {
      body = await this.container(id).logs({
        follow: false,
        stdout: true,
        stderr: true,
        tail: options.tail,
        timestamps: options.timestamps,
        // Docker takes "<seconds>.<nanoseconds>"; the typings say number.
        ...(options.sinceNs !== undefined && {
          since: dockerTimeArg(options.sinceNs) as unknown as number,
        }),
      });
    } catch (error) {
      throw fromDocker(error, { containerId: id });
    }
    const decoder = new LogDecoder({ tty, timestamps: options.timestamps });
    return [...decoder.push(body), ...decoder.end()];
  }

  async follow(id: string, sinceNs: bigint, handlers: FollowHandlers): Promise<LogFollow> {
    const tty = await this.tty(id);
    let stream: Readable;
    try {
      stream = (await this.container(id).logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: dockerTimeArg(sinceNs) as unknown as number,
      })) as unknown as Readable;
    } catch (error) {
      throw fromDocker(error, { containerId: id });
    }
    const decoder = new LogDecoder({ tty, timestamps: true });
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      const rest = decoder.end();
      if (rest.length > 0) handlers.onLines(rest);
      handlers.onEnd();
    };
    stream.on("data", (chunk: Buffer) => {
      const lines = decoder.push(chunk);
      if (lines.length > 0) handlers.onLines(lines);
    });
    stream.on("end", onEnd);
    stream.on("close", onEnd);
    stream.on("error", onEnd);
    return {
      close: () => {
        ended = true;
        stream.destroy();
      },
    };
  }

  async exists(id: string): Promise<boolean> {
    try {
      await this.options.docker.inspect(id);
      return true;
    } catch (error) {
      if (error instanceof FlowError && error.errorType === "container_not_found") return false;
      throw error;
    }
  }

  private async tty(id: string): Promise<boolean> {
    const info = await this.options.docker.inspect(id);
    return info.Config.Tty === true;
  }

  private container(id: string) {
    return this.options.docker.docker.getContainer(id);
  }
}
