import type { AgentMode, ReportedContainer } from "@dockflow/protocol";
import type Docker from "dockerode";
import type { z } from "zod";
import type { DockerEvent } from "./events.ts";

export type Workload = z.infer<typeof ReportedContainer> & { id: string };

/** What an engine event means for discovery. */
export type WorkloadChange =
  | { kind: "start"; workload: Workload }
  | { kind: "stop"; id: string; status: string }
  /** Something changed that needs a full re-list (e.g. a Swarm service's labels). */
  | { kind: "resync" };

/** The connector the agent wants: image, arguments, token, network, placement. */
export interface ConnectorSpec {
  name: string;
  image: string;
  /** Arguments after the image's entrypoint (`tunnel --no-autoupdate run`). */
  args: string[];
  /** The connector token; passed only as TUNNEL_TOKEN in the environment. */
  token: string;
  network: string;
  labels: Record<string, string>;
}

/** The connector as it is. */
export interface ConnectorInfo {
  /** Container id (of the current task in Swarm mode), when there is one. */
  id?: string;
  name: string;
  /** running, restarting, exited, created, ... (Swarm: the task state: pending, starting, ...). */
  status: string;
  running: boolean;
  exitCode?: number;
  error?: string;
  service_id?: string;
  task_id?: string;
  node_id?: string;
}

/** Seed 1.1: one interface, a standalone and a Swarm implementation. */
export interface DockerManager {
  readonly mode: z.infer<typeof AgentMode>;
  readonly nodeId: string | undefined;
  /** A container (restarted by the agent when found stopped) or a Swarm service (by Swarm). */
  readonly connectorKind: "container" | "service";
  /** Filters for the engine event stream. */
  readonly eventFilters: Record<string, string[]>;
  /** Everything enabled (and in scope) that runs on this node now. */
  listWorkloads(): Promise<Workload[]>;
  /** Whether the workload's container runs now (inspect: authoritative, unlike the list). */
  isRunning(id: string): Promise<boolean>;
  /** Interprets an engine event for discovery; undefined when it is irrelevant. */
  interpret(event: DockerEvent): Promise<WorkloadChange | undefined>;
  /** True when the event concerns the connector named `name`. */
  isConnectorEvent(event: DockerEvent, name: string): boolean;
  inspectConnector(name: string): Promise<ConnectorInfo | undefined>;
  /** Why the existing connector differs from `spec` (image, token, network, ...), or undefined. */
  connectorDifference(spec: ConnectorSpec): Promise<string | undefined>;
  /** Removes any connector called `spec.name` and creates (and starts) it from `spec`. */
  createConnector(spec: ConnectorSpec): Promise<void>;
  /** Starts an existing, stopped connector. */
  startConnector(name: string): Promise<void>;
  restartConnector(name: string): Promise<void>;
  removeConnector(name: string): Promise<void>;
  ping(): Promise<boolean>;
}

export interface ManagerOptions {
  labelPrefix: string;
  /** `key` or `key=value` every discovered workload must also carry (optional). */
  scopeLabel: string | undefined;
}

/** True when the labels satisfy the optional scope label. */
export function inScope(labels: Record<string, string>, scopeLabel: string | undefined): boolean {
  if (!scopeLabel) return true;
  const eq = scopeLabel.indexOf("=");
  if (eq < 0) return labels[scopeLabel] !== undefined;
  return labels[scopeLabel.slice(0, eq)] === scopeLabel.slice(eq + 1);
}

export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/** Whether a container runs now, from its inspect (a removed one does not). */
export async function containerRunning(docker: Docker, id: string): Promise<boolean> {
  try {
    const info = (await docker.getContainer(id).inspect()) as { State?: { Running?: boolean } };
    return info.State?.Running === true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Drops a pinned digest (`image:tag@sha256:...`) for comparisons. */
export function imageWithoutDigest(image: string): string {
  const at = image.indexOf("@");
  return at < 0 ? image : image.slice(0, at);
}
