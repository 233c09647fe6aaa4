import type Docker from "dockerode";
import type { DockerEvent } from "./events.ts";
import {
  type ConnectorInfo,
  type ConnectorSpec,
  imageWithoutDigest,
  isNotFound,
} from "./manager.ts";
import { ensureNetwork } from "./network.ts";

interface ContainerInspect {
  Id: string;
  Config: { Image: string; Env: string[] | null; Cmd: string[] | null };
  State: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; Error: string };
  HostConfig: { NetworkMode?: string };
}

export interface ContainerConnectorOptions {
  docker: Docker;
  /**
   * `create`: the network is a bridge, created when missing (standalone). `attach`: the network is
   * a Swarm attachable overlay that a manager made; a worker cannot create it, only join it.
   */
  network: "create" | "attach";
}

/**
 * The connector as a plain container (restart policy `unless-stopped`): on a standalone engine,
 * and on a Swarm worker, which cannot create services (the container is on that node by nature).
 */
export class ContainerConnector {
  private readonly docker: Docker;

  constructor(private readonly options: ContainerConnectorOptions) {
    this.docker = options.docker;
  }

  isEvent(event: DockerEvent, name: string): boolean {
    return event.Type === "container" && event.Actor.Attributes?.name === name;
  }

  private async inspect(name: string): Promise<ContainerInspect | undefined> {
    try {
      return (await this.docker.getContainer(name).inspect()) as unknown as ContainerInspect;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async info(name: string): Promise<ConnectorInfo | undefined> {
    const info = await this.inspect(name);
    if (!info) return undefined;
    return {
      id: info.Id,
      name,
      status: info.State.Status,
      running: info.State.Running && !info.State.Restarting,
      exitCode: info.State.Running ? undefined : info.State.ExitCode,
      error: info.State.Error || undefined,
    };
  }

  async difference(spec: ConnectorSpec): Promise<string | undefined> {
    const info = await this.inspect(spec.name);
    if (!info) return "missing";
    if (imageWithoutDigest(info.Config.Image) !== imageWithoutDigest(spec.image)) return "image";
    if (!(info.Config.Env ?? []).includes(`TUNNEL_TOKEN=${spec.token}`)) return "token";
    if (JSON.stringify(info.Config.Cmd ?? []) !== JSON.stringify(spec.args)) return "command";
    // The configured network (HostConfig), not the runtime one: a stopped container has none.
    if (info.HostConfig.NetworkMode !== spec.network) return "network";
    return undefined;
  }

  async create(spec: ConnectorSpec): Promise<void> {
    await this.remove(spec.name);
    if (this.options.network === "create") {
      await ensureNetwork(this.docker, spec.network, "bridge", spec.labels);
    }
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Cmd: spec.args,
      Env: [`TUNNEL_TOKEN=${spec.token}`],
      Labels: spec.labels,
      HostConfig: {
        NetworkMode: spec.network,
        RestartPolicy: { Name: "unless-stopped", MaximumRetryCount: 0 },
      },
    });
    await container.start();
  }

  async start(name: string): Promise<void> {
    await this.docker
      .getContainer(name)
      .start()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error; // 304: already running
      });
  }

  async restart(name: string): Promise<void> {
    await this.docker.getContainer(name).restart({ t: 10 });
  }

  async remove(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).remove({ force: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    // Removal is asynchronous in the engine when forced; make sure the name is free.
    for (let i = 0; i < 20 && (await this.inspect(name)); i++) {
      await this.docker
        .getContainer(name)
        .wait({ condition: "removed" })
        .catch(() => undefined);
    }
  }
}
