import { isEnabled } from "@dockflow/protocol";
import type Docker from "dockerode";
import type { DockerEvent } from "./events.ts";
import {
  type ConnectorInfo,
  type ConnectorSpec,
  containerRunning,
  type DockerManager,
  imageWithoutDigest,
  inScope,
  isNotFound,
  type ManagerOptions,
  type Workload,
  type WorkloadChange,
} from "./manager.ts";
import { ensureNetwork } from "./network.ts";

const STOP_ACTIONS = new Set(["die", "stop", "destroy"]);

interface ContainerInspect {
  Id: string;
  Name: string;
  Config: {
    Image: string;
    Labels: Record<string, string> | null;
    Env: string[] | null;
    Cmd: string[] | null;
  };
  State: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; Error: string };
  HostConfig: { NetworkMode?: string };
}

/** Containers on a plain engine: the enable label on the container itself. */
export class StandaloneDockerManager implements DockerManager {
  readonly mode = "standalone" as const;
  readonly nodeId = undefined;
  readonly eventFilters = {
    type: ["container"],
    event: ["start", "die", "stop", "destroy"],
  };

  constructor(
    private readonly docker: Docker,
    private readonly options: ManagerOptions,
  ) {}

  private wanted(labels: Record<string, string>): boolean {
    return isEnabled(labels, this.options.labelPrefix) && inScope(labels, this.options.scopeLabel);
  }

  async listWorkloads(): Promise<Workload[]> {
    const label = [`${this.options.labelPrefix}enable`];
    if (this.options.scopeLabel) label.push(this.options.scopeLabel);
    const containers = await this.docker.listContainers({
      filters: JSON.stringify({ label, status: ["running"] }),
    });
    return containers
      .filter((c) => this.wanted(c.Labels ?? {}))
      .map((c) => ({
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id).replace(/^\//, ""),
        labels: c.Labels ?? {},
        status: "running",
        image: c.Image,
      }));
  }

  isRunning(id: string): Promise<boolean> {
    return containerRunning(this.docker, id);
  }

  async interpret(event: DockerEvent): Promise<WorkloadChange | undefined> {
    if (event.Type !== "container") return undefined;
    const id = event.Actor.ID;
    if (STOP_ACTIONS.has(event.Action)) {
      return { kind: "stop", id, status: event.Action === "destroy" ? "removed" : "exited" };
    }
    if (event.Action !== "start") return undefined;
    // Events carry labels mixed with other attributes: a cheap pre-check, then inspect.
    const attributes = event.Actor.Attributes ?? {};
    if (!this.wanted(attributes)) return undefined;
    let info: ContainerInspect;
    try {
      info = (await this.docker.getContainer(id).inspect()) as unknown as ContainerInspect;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const labels = info.Config.Labels ?? {};
    if (!info.State.Running || !this.wanted(labels)) return undefined;
    return {
      kind: "start",
      workload: {
        id: info.Id,
        name: info.Name.replace(/^\//, ""),
        labels,
        status: "running",
        image: info.Config.Image,
      },
    };
  }

  isConnectorEvent(event: DockerEvent, name: string): boolean {
    return event.Type === "container" && event.Actor.Attributes?.name === name;
  }

  private async inspectContainer(name: string): Promise<ContainerInspect | undefined> {
    try {
      return (await this.docker.getContainer(name).inspect()) as unknown as ContainerInspect;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async inspectConnector(name: string): Promise<ConnectorInfo | undefined> {
    const info = await this.inspectContainer(name);
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

  async connectorDifference(spec: ConnectorSpec): Promise<string | undefined> {
    const info = await this.inspectContainer(spec.name);
    if (!info) return "missing";
    if (imageWithoutDigest(info.Config.Image) !== imageWithoutDigest(spec.image)) return "image";
    if (!(info.Config.Env ?? []).includes(`TUNNEL_TOKEN=${spec.token}`)) return "token";
    if (JSON.stringify(info.Config.Cmd ?? []) !== JSON.stringify(spec.args)) return "command";
    // The configured network (HostConfig), not the runtime one: a stopped container has none.
    if (info.HostConfig.NetworkMode !== spec.network) return "network";
    return undefined;
  }

  async createConnector(spec: ConnectorSpec): Promise<void> {
    await this.removeConnector(spec.name);
    await ensureNetwork(this.docker, spec.network, "bridge", spec.labels);
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

  async startConnector(name: string): Promise<void> {
    await this.docker
      .getContainer(name)
      .start()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error; // 304: already running
      });
  }

  async restartConnector(name: string): Promise<void> {
    await this.docker.getContainer(name).restart({ t: 10 });
  }

  async removeConnector(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).remove({ force: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    // Removal is asynchronous in the engine when forced; make sure the name is free.
    for (let i = 0; i < 20 && (await this.inspectContainer(name)); i++) {
      await this.docker
        .getContainer(name)
        .wait({ condition: "removed" })
        .catch(() => undefined);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }
}
