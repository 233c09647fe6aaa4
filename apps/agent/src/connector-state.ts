import type { DockerEvent } from "./docker/events.ts";
import type { ConnectorInfo, DockerManager } from "./docker/manager.ts";

/** The version reported for the connector: `cloudflared version YYYY.M.P` from a dated tag. */
export function connectorVersion(image: string): string {
  const tag = image.split("@")[0]?.split(":").at(-1) ?? "";
  return /^\d{4}\.\d+\.\d+$/.test(tag) ? `cloudflared version ${tag}` : image;
}

/** Identifies a reported status: the same container, state and task is reported only once. */
export function statusKey(info: ConnectorInfo): string {
  return `${info.id ?? ""}|${info.status}|${info.task_id ?? ""}`;
}

/**
 * Whether a connector whose spec matches should be started: only a container that is stopped (a
 * Swarm service's task is restarted by Swarm, a restarting container by its restart policy).
 */
export function needsStart(
  info: ConnectorInfo | undefined,
  kind: DockerManager["connectorKind"],
): info is ConnectorInfo {
  return (
    info !== undefined && !info.running && info.status !== "restarting" && kind === "container"
  );
}

/**
 * What to report after a start or die event of the connector, given what an inspect then showed:
 * the inspect when it agrees with the event, the exit (with the event's exit code) when a die is
 * not contradicted, nothing when a start is contradicted.
 */
export function statusAfterEvent(
  event: DockerEvent,
  info: ConnectorInfo | undefined,
  name: string,
): ConnectorInfo | undefined {
  if (info && (event.Action === "start" ? info.running : !info.running)) return info;
  if (event.Action !== "die") return undefined;
  const code = event.Actor.Attributes?.exitCode;
  return {
    name,
    status: "exited",
    running: false,
    error: code ? `connector exited with code ${code}` : undefined,
  };
}

/** Engine actions after which the connector may be gone: re-check the desired state. */
export function goneAction(action: string): boolean {
  return ["die", "stop", "destroy", "remove"].includes(action);
}
