import type Docker from "dockerode";
import { isNotFound } from "./manager.ts";

/** Makes sure the connector's network exists: a bridge (standalone) or attachable overlay (Swarm). */
export async function ensureNetwork(
  docker: Docker,
  name: string,
  driver: "bridge" | "overlay",
  labels: Record<string, string>,
): Promise<string> {
  try {
    const info = (await docker.getNetwork(name).inspect()) as { Id: string };
    return info.Id;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    const created = await docker.createNetwork({
      Name: name,
      Driver: driver,
      Attachable: driver === "overlay" ? true : undefined,
      CheckDuplicate: true,
      Labels: labels,
    });
    return created.id;
  } catch (error) {
    // Created concurrently by someone else: use theirs.
    const info = (await docker
      .getNetwork(name)
      .inspect()
      .catch(() => undefined)) as { Id: string } | undefined;
    if (info) return info.Id;
    throw error;
  }
}

/** The network's id, or undefined when it does not exist. */
export async function networkId(docker: Docker, name: string): Promise<string | undefined> {
  try {
    return ((await docker.getNetwork(name).inspect()) as { Id: string }).Id;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
