import type { Readable } from "node:stream";
import Docker from "dockerode";
import { pack } from "tar-fs";
import { dockerStatus, FlowError, fromDocker } from "./errors.ts";
import { managedFilter } from "./labels.ts";
import { StreamDemuxer } from "./logs/demux.ts";
import { untilSignalable } from "./signal-ready.ts";

export type ContainerInspect = Docker.ContainerInspectInfo;

export interface CreateSpec {
  image: string;
  name?: string;
  env: string[];
  cmd?: string[];
  /** Run Docker's init (tini) as PID 1, which forwards signals to the command and reaps zombies. */
  init: boolean;
  labels: Record<string, string>;
  binds: string[];
  portBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  memoryBytes?: number;
  nanoCpus?: number;
  restartPolicy?: { Name: string; MaximumRetryCount?: number };
  healthcheck?: {
    Test: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
}

/** A line of `docker pull` progress. */
export interface PullProgress {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
}

export function dockerClient(host: string | undefined): Docker {
  if (!host) return new Docker();
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length) });
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
}

/** Every Docker Engine call the manager makes, in Docker's terms (no wire types here). */
export interface DockerAdapterOptions {
  docker: Docker;
  /** FLOW_MANAGER_ID: selects this manager's containers. */
  managerId: string;
}

export class DockerAdapter {
  readonly docker: Docker;

  constructor(private readonly options: DockerAdapterOptions) {
    this.docker = options.docker;
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Creates the container; a missing image is reported as a 404 FlowError of type image_not_found. */
  async create(spec: CreateSpec): Promise<string> {
    const exposed: Record<string, object> = {};
    for (const key of Object.keys(spec.portBindings)) exposed[key] = {};
    try {
      const container = await this.docker.createContainer({
        Image: spec.image,
        ...(spec.name ? { name: spec.name } : {}),
        Env: spec.env,
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        Labels: spec.labels,
        ExposedPorts: exposed,
        ...(spec.healthcheck ? { Healthcheck: spec.healthcheck } : {}),
        HostConfig: {
          Binds: spec.binds,
          PortBindings: spec.portBindings,
          Privileged: false,
          NetworkMode: "bridge",
          Init: spec.init,
          SecurityOpt: ["no-new-privileges"],
          ...(spec.memoryBytes ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
          ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
          ...(spec.restartPolicy ? { RestartPolicy: spec.restartPolicy } : {}),
        },
      });
      return container.id;
    } catch (error) {
      if (dockerStatus(error) === 404) {
        throw fromDocker(error, { notFound: "image_not_found" });
      }
      throw fromDocker(error);
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (dockerStatus(error) === 404) return false;
      throw fromDocker(error);
    }
  }

  /** Pulls `image`, reporting each progress line; any failure is image_not_found. */
  async pull(image: string, onProgress: (p: PullProgress) => void): Promise<void> {
    let stream: Readable;
    try {
      stream = (await this.docker.pull(image)) as Readable;
    } catch (error) {
      throw new FlowError(
        "image_not_found",
        `image "${image}" not found and could not be pulled: ${fromDocker(error).message}`,
        { image },
      );
    }
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          if (err) {
            reject(
              new FlowError("image_not_found", `pull of "${image}" failed: ${err.message}`, {
                image,
              }),
            );
          } else resolve();
        },
        (event: PullProgress) => {
          if (event.error) return;
          onProgress(event);
        },
      );
    });
  }

  async start(id: string): Promise<void> {
    await this.call(id, () => this.docker.getContainer(id).start(), [304]);
  }

  async stop(id: string, seconds: number): Promise<void> {
    const container = this.docker.getContainer(id);
    await this.call(id, () => untilSignalable(container));
    await this.call(id, () => container.stop({ t: seconds }), [304]);
  }

  async restart(id: string, seconds: number): Promise<void> {
    const container = this.docker.getContainer(id);
    await this.call(id, () => untilSignalable(container));
    await this.call(id, () => container.restart({ t: seconds }));
  }

  async remove(id: string, force: boolean): Promise<void> {
    await this.call(id, () => this.docker.getContainer(id).remove({ force, v: true }));
  }

  async inspect(id: string): Promise<ContainerInspect> {
    return this.call(id, () => this.docker.getContainer(id).inspect());
  }

  /** Ids of this manager's containers. */
  async listManaged(): Promise<string[]> {
    try {
      const list = await this.docker.listContainers({
        all: true,
        filters: { label: managedFilter(this.options.managerId) },
      });
      return list.map((c) => c.Id);
    } catch (error) {
      throw fromDocker(error);
    }
  }

  /** Runs `cmd` in the container and waits for it; returns the exit code and combined output. */
  async exec(id: string, cmd: string[]): Promise<{ exitCode: number | null; output: string }> {
    return this.call(id, async () => {
      const container = this.docker.getContainer(id);
      const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", reject);
      });
      const info = await exec.inspect();
      return { exitCode: info.ExitCode ?? null, output: demux(Buffer.concat(chunks)) };
    });
  }

  /** Copies the content of host folder `dir` into `path` (which must exist) in the container. */
  async putFolder(id: string, dir: string, path: string): Promise<void> {
    await this.call(id, async () => {
      const tar = pack(dir);
      await this.docker.getContainer(id).putArchive(tar, { path });
    });
  }

  /** Docker's container event stream for this manager's containers, from `since` (seconds). */
  async events(since: string | undefined): Promise<Readable> {
    return (await this.docker.getEvents({
      // Docker accepts fractional seconds ("1700000000.123456789"); the typings say number.
      ...(since ? { since: since as unknown as number } : {}),
      filters: { type: ["container"], label: managedFilter(this.options.managerId) },
    })) as unknown as Readable;
  }

  async statsStream(id: string): Promise<Readable> {
    return (await this.docker.getContainer(id).stats({ stream: true })) as unknown as Readable;
  }

  private async call<T>(id: string, fn: () => Promise<T>, okStatuses: number[] = []): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const status = dockerStatus(error);
      if (status !== undefined && okStatuses.includes(status)) return undefined as T;
      throw fromDocker(error, { containerId: id });
    }
  }
}

/** The output of a non-TTY exec, stdout and stderr together (Docker multiplexes them). */
function demux(buf: Buffer): string {
  const demuxer = new StreamDemuxer({ tty: false });
  const pieces = [...demuxer.push(buf), ...demuxer.end()];
  return Buffer.concat(pieces.map((piece) => piece.data)).toString("utf8");
}
