import { isEnabled } from "@dockflow/protocol";
import type Docker from "dockerode";
import { ContainerConnector } from "./container-connector.ts";
import type { DockerEvent } from "./events.ts";
import {
  type ConnectorInfo,
  type ConnectorSpec,
  containerRunning,
  type DockerManager,
  inScope,
  isNotFound,
  type ManagerOptions,
  type Workload,
  type WorkloadChange,
} from "./manager.ts";

const STOP_ACTIONS = new Set(["die", "stop", "destroy"]);

interface ContainerInspect {
  Id: string;
  Name: string;
  Config: {
    Image: string;
    Labels: Record<string, string> | null;
  };
  State: { Running: boolean };
}

/** Containers on a plain engine: the enable label on the container itself. */
export class StandaloneDockerManager implements DockerManager {
  readonly mode = "standalone" as const;
  readonly nodeId = undefined;
  readonly connectorKind = "container" as const;
  readonly eventFilters = {
    type: ["container"],
    event: ["start", "die", "stop", "destroy"],
  };

  private readonly connector: ContainerConnector;

  constructor(
    private readonly docker: Docker,
    private readonly options: ManagerOptions,
  ) {
    this.connector = new ContainerConnector({ docker, network: "create" });
  }

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
    return this.connector.isEvent(event, name);
  }

  inspectConnector(name: string): Promise<ConnectorInfo | undefined> {
    return this.connector.info(name);
  }

  connectorDifference(spec: ConnectorSpec): Promise<string | undefined> {
    return this.connector.difference(spec);
  }

  createConnector(spec: ConnectorSpec): Promise<void> {
    return this.connector.create(spec);
  }

  startConnector(name: string): Promise<void> {
    return this.connector.start(name);
  }

  restartConnector(name: string): Promise<void> {
    return this.connector.restart(name);
  }

  removeConnector(name: string): Promise<void> {
    return this.connector.remove(name);
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
