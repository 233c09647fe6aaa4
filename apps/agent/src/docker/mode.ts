import type { AgentMode, NodeRole } from "@dockflow/protocol";
import type Docker from "dockerode";
import type { z } from "zod";

export interface ModeInfo {
  mode: z.infer<typeof AgentMode>;
  /** Swarm node id (Swarm mode only). */
  nodeId?: string;
  nodeRole?: z.infer<typeof NodeRole>;
  /** The engine's host name. */
  hostname: string;
  engineVersion: string;
}

interface InfoSubset {
  Name?: string;
  ServerVersion?: string;
  Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean };
}

/** Seed 1.1: asks the engine whether it is a Swarm node (and which), honouring an override. */
export async function detectMode(
  docker: Docker,
  override: "auto" | "standalone" | "swarm",
): Promise<ModeInfo> {
  const info = (await docker.info()) as InfoSubset;
  const swarmActive = info.Swarm?.LocalNodeState === "active" && Boolean(info.Swarm.NodeID);
  const base = { hostname: info.Name ?? "unknown", engineVersion: info.ServerVersion ?? "unknown" };
  if (override === "standalone" || (override === "auto" && !swarmActive)) {
    return { mode: "standalone", ...base };
  }
  if (!swarmActive) {
    throw new Error(
      "DOCKER_MODE=swarm, but the engine is not an active Swarm node (LocalNodeState is not active)",
    );
  }
  return {
    mode: "swarm",
    nodeId: info.Swarm?.NodeID,
    nodeRole: info.Swarm?.ControlAvailable ? "manager" : "worker",
    ...base,
  };
}
