import type {
  ContainerCreated,
  ContainerDeleted,
  ContainerRestarted,
  ContainerStarted,
  ContainerStopped,
  ContainerUpdated,
  CreateContainerRequest,
  FlowClient,
} from "../src/index.ts";

export interface LifecycleOptions {
  /** The image to run (default `flow:latest`). */
  image?: string;
  /** The container's name (default `my-flow-container`). */
  name?: string;
  /** Anything else for create_container (volumes, ports, labels, ...). */
  create?: Partial<CreateContainerRequest>;
  /** A host folder (under the manager's FLOW_ALLOWED_ROOTS) to load as the flow's new code. */
  codePath?: string;
  /** Where progress goes (default console.log). */
  log?: (...args: unknown[]) => void;
}

export interface LifecycleResult {
  created: ContainerCreated;
  started: ContainerStarted;
  updated: ContainerUpdated | null;
  stopped: ContainerStopped;
  restarted: ContainerRestarted;
  deleted: ContainerDeleted;
}

/**
 * The seed's "complete container lifecycle": create, start, (update), stop, restart, delete. Each
 * step awaits the previous one's reply instead of chaining event handlers.
 */
export async function lifecycle(
  flow: FlowClient,
  {
    image = "flow:latest",
    name = "my-flow-container",
    create,
    codePath,
    log = console.log,
  }: LifecycleOptions = {},
): Promise<LifecycleResult> {
  const created = await flow.createContainer({
    image,
    name,
    environment: { ENV_VAR1: "value1", ENV_VAR2: "value2" },
    ...create,
  });
  log("Container created:", created);
  const containerId = created.container_id;
  try {
    const started = await flow.startContainer({ container_id: containerId });
    log("Container started:", started);

    let updated: ContainerUpdated | null = null;
    if (codePath) {
      updated = await flow.updateContainer({ container_id: containerId, code_path: codePath });
      log("Container updated:", updated);
    }

    const stopped = await flow.stopContainer({ container_id: containerId });
    log("Container stopped:", stopped);
    const restarted = await flow.restartContainer({ container_id: containerId });
    log("Container restarted:", restarted);
    const deleted = await flow.deleteContainer({ container_id: containerId });
    log("Container deleted:", deleted);
    return { created, started, updated, stopped, restarted, deleted };
  } catch (error) {
    // Leave nothing behind when a step fails.
    await flow.deleteContainer({ container_id: containerId, force: true }).catch(() => undefined);
    throw error;
  }
}
