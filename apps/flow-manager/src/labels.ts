import { CrashRecovery } from "@dockflow/protocol";
import type { z } from "zod";

/** Labels the manager puts on every container it creates: Docker is the source of truth. */
export const LABEL_MANAGED = "dockflow.flow.managed";
export const LABEL_MANAGER = "dockflow.flow.manager";
export const LABEL_SOCKET_DIR = "dockflow.flow.socket_dir";
export const LABEL_CRASH_RECOVERY = "dockflow.flow.crash_recovery";
export const RESERVED_PREFIX = "dockflow.flow.";

export type CrashRecoverySettings = z.output<typeof CrashRecovery>;

/** The label filter that selects this manager's containers. */
export function managedFilter(managerId: string): string[] {
  return [`${LABEL_MANAGED}=true`, `${LABEL_MANAGER}=${managerId}`];
}

export function isManagedBy(
  labels: Record<string, string> | undefined,
  managerId: string,
): boolean {
  return labels?.[LABEL_MANAGED] === "true" && labels[LABEL_MANAGER] === managerId;
}

export function crashRecoveryOf(labels: Record<string, string>): CrashRecoverySettings | null {
  const raw = labels[LABEL_CRASH_RECOVERY];
  if (!raw) return null;
  try {
    const parsed = CrashRecovery.parse(JSON.parse(raw));
    return parsed.enabled ? parsed : null;
  } catch {
    return null;
  }
}
