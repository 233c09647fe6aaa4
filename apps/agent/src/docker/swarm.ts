import { isEnabled } from "@dockflow/protocol";
import type Docker from "dockerode";
import type pino from "pino";
import { ContainerConnector } from "./container-connector.ts";
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
import { ensureNetwork, networkId } from "./network.ts";

const SERVICE_ID = "com.docker.swarm.service.id";
const SERVICE_NAME = "com.docker.swarm.service.name";
const TASK_ID = "com.docker.swarm.task.id";
const NODE_ID = "com.docker.swarm.node.id";
const STOP_ACTIONS = new Set(["die", "stop", "destroy"]);

interface ServiceInspect {
  ID: string;
  Version?: { Index: number };
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate: {
      ContainerSpec?: { Image?: string; Args?: string[]; Env?: string[] };
      Placement?: { Constraints?: string[] };
      Networks?: { Target: string }[];
      ForceUpdate?: number;
    };
  };
}

interface TaskInspect {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  DesiredState: string;
  CreatedAt?: string;
  Status: {
    State: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  Spec?: { ContainerSpec?: { Image?: string } };
}

export interface SwarmManagerOptions extends ManagerOptions {
  docker: Docker;
  nodeId: string;
  /** A worker cannot read or create services: its connector is a container on the overlay. */
  role: "manager" | "worker";
  log: pino.Logger;
}

/**
 * Swarm tasks on this node (seed 2.2): the local engine's container events for task containers
 * carry the service, task and node ids; a service's labels come from its spec (`Spec.Labels`).
 * Services' labels are cached per service version and refreshed on service events. On a manager
 * the connector is a one-replica service pinned to this node (seed 3.4); on a worker, which cannot
 * create services, a container of its own engine on the attachable overlay network.
 */
export class SwarmDockerManager implements DockerManager {
  readonly mode = "swarm" as const;
  readonly eventFilters = { type: ["container", "service"] };
  readonly nodeId: string;
  readonly connectorKind: "container" | "service";
  private readonly docker: Docker;
  private readonly serviceLabels = new Map<string, Record<string, string>>();
  /** The worker's connector; undefined on a manager (a service). */
  private readonly containerConnector: ContainerConnector | undefined;
  private saidFallback = false;

  constructor(private readonly options: SwarmManagerOptions) {
    this.docker = options.docker;
    this.nodeId = options.nodeId;
    this.containerConnector =
      options.role === "worker"
        ? new ContainerConnector({ docker: options.docker, network: "attach" })
        : undefined;
    this.connectorKind = this.containerConnector ? "container" : "service";
  }

  private wanted(labels: Record<string, string>): boolean {
    return isEnabled(labels, this.options.labelPrefix) && inScope(labels, this.options.scopeLabel);
  }

  /** The service's labels (its spec), or the container's own labels when the node cannot read services (worker). */
  private async labelsOf(serviceId: string, containerId?: string): Promise<Record<string, string>> {
    const cached = this.serviceLabels.get(serviceId);
    if (cached) return cached;
    try {
      const service = (await this.docker.getService(serviceId).inspect()) as ServiceInspect;
      const labels = service.Spec.Labels ?? {};
      this.serviceLabels.set(serviceId, labels);
      return labels;
    } catch (error) {
      if (isNotFound(error) || !containerId) return {};
      // Workers cannot inspect services: fall back to the task container's labels.
      if (!this.saidFallback) {
        this.saidFallback = true;
        this.options.log.warn(
          { service_id: serviceId, err: (error as Error).message },
          "cannot read Swarm services on this node (a worker?): using the task containers' own labels (set them with --container-label or the stack's labels:)",
        );
      }
      const info = (await this.docker
        .getContainer(containerId)
        .inspect()
        .catch(() => undefined)) as { Config?: { Labels?: Record<string, string> } } | undefined;
      return info?.Config?.Labels ?? {};
    }
  }

  /**
   * The running task containers on this node. The local containers (not the task list) are the
   * truth here: a task's state lags its container's, and the container events follow containers.
   */
  async listWorkloads(): Promise<Workload[]> {
    this.serviceLabels.clear();
    return this.listFromContainers();
  }

  private async listFromContainers(): Promise<Workload[]> {
    const containers = await this.docker.listContainers({
      filters: JSON.stringify({ label: [`${NODE_ID}=${this.nodeId}`], status: ["running"] }),
    });
    const workloads: Workload[] = [];
    for (const c of containers) {
      const l = c.Labels ?? {};
      const serviceId = l[SERVICE_ID];
      if (!serviceId) continue;
      const labels = await this.labelsOf(serviceId, c.Id);
      if (!this.wanted(labels)) continue;
      workloads.push({
        id: c.Id,
        name: l[SERVICE_NAME] ?? c.Id,
        labels,
        status: "running",
        image: imageWithoutDigest(c.Image),
        service_id: serviceId,
        task_id: l[TASK_ID],
        node_id: this.nodeId,
      });
    }
    return workloads;
  }

  isRunning(id: string): Promise<boolean> {
    return containerRunning(this.docker, id);
  }

  async interpret(event: DockerEvent): Promise<WorkloadChange | undefined> {
    const attributes = event.Actor.Attributes ?? {};
    if (event.Type === "service") {
      this.serviceLabels.delete(event.Actor.ID);
      // A label change (update) or removal: re-list to see what that means on this node.
      return event.Action === "update" || event.Action === "remove"
        ? { kind: "resync" }
        : undefined;
    }
    if (event.Type !== "container") return undefined;
    const serviceId = attributes[SERVICE_ID];
    // Only tasks, and only tasks on this node (seed 5.2).
    if (!serviceId || attributes[NODE_ID] !== this.nodeId) return undefined;
    const id = event.Actor.ID;
    if (STOP_ACTIONS.has(event.Action)) {
      return { kind: "stop", id, status: event.Action === "destroy" ? "removed" : "exited" };
    }
    if (event.Action !== "start") return undefined;
    const labels = await this.labelsOf(serviceId, id);
    if (!this.wanted(labels)) return undefined;
    return {
      kind: "start",
      workload: {
        id,
        name: attributes[SERVICE_NAME] ?? id,
        labels,
        status: "running",
        image: imageWithoutDigest(attributes.image ?? ""),
        service_id: serviceId,
        task_id: attributes[TASK_ID],
        node_id: this.nodeId,
      },
    };
  }

  isConnectorEvent(event: DockerEvent, name: string): boolean {
    if (this.containerConnector) return this.containerConnector.isEvent(event, name);
    const attributes = event.Actor.Attributes ?? {};
    if (event.Type === "service") return attributes.name === name;
    return event.Type === "container" && attributes[SERVICE_NAME] === name;
  }

  private async inspectService(name: string): Promise<ServiceInspect | undefined> {
    try {
      return (await this.docker.getService(name).inspect()) as ServiceInspect;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async inspectConnector(name: string): Promise<ConnectorInfo | undefined> {
    if (this.containerConnector) {
      const info = await this.containerConnector.info(name);
      return info && { ...info, node_id: this.nodeId };
    }
    const service = await this.inspectService(name);
    if (!service) return undefined;
    const tasks = (await this.docker.listTasks({
      filters: JSON.stringify({ service: [service.ID], node: [this.nodeId] }),
    })) as TaskInspect[];
    // The newest task the orchestrator wants running (or the newest at all).
    const byAge = [...tasks].sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""));
    const task = byAge.find((t) => t.DesiredState === "running") ?? byAge[0];
    const state = task?.Status.State ?? "pending";
    return {
      id: task?.Status.ContainerStatus?.ContainerID,
      name,
      status: state,
      running: state === "running",
      exitCode: task?.Status.ContainerStatus?.ExitCode,
      error: task?.Status.Err,
      service_id: service.ID,
      task_id: task?.ID,
      node_id: this.nodeId,
    };
  }

  async connectorDifference(spec: ConnectorSpec): Promise<string | undefined> {
    if (this.containerConnector) return this.containerConnector.difference(spec);
    const service = await this.inspectService(spec.name);
    if (!service) return "missing";
    const template = service.Spec.TaskTemplate;
    const container = template.ContainerSpec ?? {};
    if (imageWithoutDigest(container.Image ?? "") !== imageWithoutDigest(spec.image))
      return "image";
    if (!(container.Env ?? []).includes(`TUNNEL_TOKEN=${spec.token}`)) return "token";
    if (JSON.stringify(container.Args ?? []) !== JSON.stringify(spec.args)) return "command";
    if (!(template.Placement?.Constraints ?? []).includes(`node.id==${this.nodeId}`)) {
      return "placement";
    }
    const wanted = await networkId(this.docker, spec.network);
    if (
      !wanted ||
      !(template.Networks ?? []).some((n) => n.Target === wanted || n.Target === spec.network)
    ) {
      return "network";
    }
    return undefined;
  }

  /** Seed 3.4: a one-replica service pinned to this node, restarted on any exit. */
  async createConnector(spec: ConnectorSpec): Promise<void> {
    if (this.containerConnector) return this.containerConnector.create(spec);
    await this.removeConnector(spec.name);
    await ensureNetwork(this.docker, spec.network, "overlay", spec.labels);
    await this.docker.createService({
      Name: spec.name,
      Labels: spec.labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: spec.image,
          Args: spec.args,
          Env: [`TUNNEL_TOKEN=${spec.token}`],
          Labels: spec.labels,
        },
        RestartPolicy: { Condition: "any", Delay: 1_000_000_000, MaxAttempts: 0 },
        Placement: { Constraints: [`node.id==${this.nodeId}`] },
        Networks: [{ Target: spec.network }],
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
  }

  async startConnector(name: string): Promise<void> {
    if (this.containerConnector) return this.containerConnector.start(name);
    // A service that exists is always being run by the orchestrator: force a new task.
    await this.restartConnector(name);
  }

  async restartConnector(name: string): Promise<void> {
    if (this.containerConnector) return this.containerConnector.restart(name);
    const service = await this.inspectService(name);
    if (!service?.Version) throw new Error(`connector service ${name} does not exist`);
    const spec = structuredClone(service.Spec);
    spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
    await this.docker.getService(service.ID).update({ version: service.Version.Index, ...spec });
  }

  async removeConnector(name: string): Promise<void> {
    if (this.containerConnector) return this.containerConnector.remove(name);
    try {
      await this.docker.getService(name).remove();
    } catch (error) {
      if (!isNotFound(error)) throw error;
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
