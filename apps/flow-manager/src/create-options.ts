import { posix } from "node:path";
import {
  FLOW_CODE_DIR_IN_CONTAINER,
  FLOW_SOCKET_DIR_IN_CONTAINER,
  type ParsedRequestOf,
} from "@dockflow/protocol";
import type { CreateSpec } from "./docker.ts";
import { FlowError } from "./errors.ts";
import {
  LABEL_CRASH_RECOVERY,
  LABEL_MANAGED,
  LABEL_MANAGER,
  LABEL_SOCKET_DIR,
  RESERVED_PREFIX,
} from "./labels.ts";

export type CreateRequest = ParsedRequestOf<"create_container">;

/** What the translation needs besides the request; all of it known before any Docker call. */
export interface CreateContext {
  managerId: string;
  /** Host address published ports bind to (FLOW_PUBLISH_HOST). */
  publishHost: string;
  /** FLOW_DEFAULT_LABELS: under the request's own labels. */
  defaultLabels: Record<string, string>;
  /** FLOW_CONTAINER_INIT: Docker's init as PID 1 (signals reach the runtime from the start). */
  init: boolean;
  /** This container's socket folder on the host, mounted at the runtime's socket folder. */
  socketDir: string;
  /** The real path (checked against the allowed roots) of each requested volume host path. */
  hostPaths: ReadonlyMap<string, string>;
}

/**
 * The wire request in Docker's terms: ports, volumes (with `:ro`/`:rw`), memory, CPU, restart
 * policy, health check and labels (the manager's own on top). No I/O; a reserved mount target or
 * label is a validation_error naming the field.
 */
export function toCreateSpec(req: CreateRequest, ctx: CreateContext): CreateSpec {
  for (const key of Object.keys(req.labels ?? {})) {
    if (key.startsWith(RESERVED_PREFIX)) {
      throw invalid(`labels.${key}`, `labels: ${key} is reserved for the manager`, {
        message: "dockflow.flow.* labels are reserved",
      });
    }
  }
  const binds = Object.entries(req.volumes ?? {}).map(([hostPath, target]) =>
    bindOf(hostPath, target, ctx.hostPaths),
  );
  binds.push(`${ctx.socketDir}:${FLOW_SOCKET_DIR_IN_CONTAINER}`);

  const labels: Record<string, string> = {
    ...ctx.defaultLabels,
    ...(req.labels ?? {}),
    [LABEL_MANAGED]: "true",
    [LABEL_MANAGER]: ctx.managerId,
    [LABEL_SOCKET_DIR]: ctx.socketDir,
  };
  if (req.crash_recovery) labels[LABEL_CRASH_RECOVERY] = JSON.stringify(req.crash_recovery);

  return {
    image: req.image,
    ...(req.name ? { name: req.name } : {}),
    env: Object.entries(req.environment ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(req.command ? { cmd: req.command } : {}),
    init: ctx.init,
    labels,
    binds,
    portBindings: portBindingsOf(req.ports ?? {}, ctx.publishHost),
    ...(req.memory_limit ? { memoryBytes: req.memory_limit } : {}),
    ...(req.cpu_limit ? { nanoCpus: Math.round(req.cpu_limit * 1e9) } : {}),
    ...(req.restart_policy ? { restartPolicy: restartPolicyOf(req.restart_policy) } : {}),
    ...(req.healthcheck ? { healthcheck: healthcheckOf(req.healthcheck) } : {}),
  };
}

/** `host:container[:ro|:rw]` with the real host path and a normalised, unreserved target. */
function bindOf(hostPath: string, target: string, hostPaths: ReadonlyMap<string, string>): string {
  const real = hostPaths.get(hostPath);
  if (real === undefined) throw new Error(`volume host path ${hostPath} was not checked`);
  const mode = /:(ro|rw)$/.exec(target)?.[0] ?? "";
  const containerPath = posix.normalize(target.slice(0, target.length - mode.length));
  const reserved = reservedTarget(containerPath);
  if (reserved) {
    const message = `${target} is reserved (${reserved})`;
    throw invalid(`volumes.${hostPath}`, `volumes: ${message}`, { message });
  }
  return `${real}:${containerPath}${mode}`;
}

/**
 * Why a (normalised) mount target may not be used, or null: the root, the socket folder and
 * anything in it (a mount there hides or replaces the socket), and the code folder and anything
 * in it (update_container empties it: a bind mount there would lose host files).
 */
export function reservedTarget(path: string): string | null {
  const under = (dir: string) => path === dir || path.startsWith(`${dir}/`);
  if (path === "/" || path === "/.") return "the container's root";
  if (under(FLOW_SOCKET_DIR_IN_CONTAINER)) return "the flow socket folder";
  if (under(FLOW_CODE_DIR_IN_CONTAINER))
    return "the flow code folder, replaced by update_container";
  return null;
}

/** `{"8080": 18080, "53/udp": 5353}` to Docker's bindings, `/tcp` when no protocol is given. */
function portBindingsOf(
  ports: NonNullable<CreateRequest["ports"]>,
  host: string,
): CreateSpec["portBindings"] {
  const bindings: CreateSpec["portBindings"] = {};
  for (const [containerPort, hostPort] of Object.entries(ports)) {
    const key = containerPort.includes("/") ? containerPort : `${containerPort}/tcp`;
    bindings[key] = [{ HostIp: host, HostPort: String(hostPort) }];
  }
  return bindings;
}

function restartPolicyOf(
  policy: NonNullable<CreateRequest["restart_policy"]>,
): NonNullable<CreateSpec["restartPolicy"]> {
  return {
    Name: policy.name,
    ...(policy.name === "on-failure" ? { MaximumRetryCount: policy.maximum_retry_count ?? 0 } : {}),
  };
}

/** Seconds on the wire, nanoseconds in Docker. */
function healthcheckOf(
  hc: NonNullable<CreateRequest["healthcheck"]>,
): NonNullable<CreateSpec["healthcheck"]> {
  const ns = (s: number) => Math.round(s * 1e9);
  return {
    Test: hc.test,
    ...(hc.interval_seconds !== undefined ? { Interval: ns(hc.interval_seconds) } : {}),
    ...(hc.timeout_seconds !== undefined ? { Timeout: ns(hc.timeout_seconds) } : {}),
    ...(hc.retries !== undefined ? { Retries: hc.retries } : {}),
    ...(hc.start_period_seconds !== undefined ? { StartPeriod: ns(hc.start_period_seconds) } : {}),
  };
}

function invalid(path: string, message: string, issue: { message: string }): FlowError {
  return new FlowError("validation_error", message, { issues: [{ path, ...issue }] });
}
