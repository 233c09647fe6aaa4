import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configFrom, startFlowManager } from "@dockflow/flow-manager";
import { dockerFor, testLabels, testRunId, waitFor } from "@dockflow/testkit";

export const FLOW_IMAGE = process.env.FLOW_TEST_IMAGE ?? "flow:latest";
export const docker = dockerFor();

/** A container name unique to this run. */
export function uniqueName(tag: string): string {
  return `sdk-${testRunId}-${tag}-${randomBytes(2).toString("hex")}`;
}

export interface TestFlowManager {
  url: string;
  token: string;
  /** An allowed root (FLOW_ALLOWED_ROOTS) for volumes and code paths. */
  root: string;
  close(): Promise<void>;
}

/**
 * A real flow manager in this process, on the main Docker engine, on a free loopback port, with
 * a token, its own manager id (so it sees only its own containers) and the test labels on
 * everything it creates; `env` adds or overrides configuration.
 */
export async function startTestFlowManager(
  env: Record<string, string> = {},
): Promise<TestFlowManager> {
  await waitFor(() => docker.getImage(FLOW_IMAGE).inspect(), {
    timeoutMs: 300_000,
    intervalMs: 1000,
    message: `image ${FLOW_IMAGE} (docker/flow-runtime/build-local.sh builds it)`,
  });
  const root = await mkdtemp(join(tmpdir(), "dockflow-sdk-root-"));
  // Socket paths must stay short (sun_path).
  const socketRoot = await mkdtemp("/tmp/dfs-");
  const token = randomBytes(24).toString("hex");
  const manager = await startFlowManager(
    configFrom({
      HOST: "127.0.0.1",
      PORT: "0",
      FLOW_MANAGER_TOKEN: token,
      FLOW_MANAGER_ID: `sdk-${testRunId}-${randomBytes(3).toString("hex")}`,
      FLOW_ALLOWED_ROOTS: root,
      FLOW_SOCKET_ROOT: socketRoot,
      FLOW_DEFAULT_LABELS: JSON.stringify(testLabels()),
      FLOW_STATUS_INTERVAL_MS: "500",
      FLOW_STOP_TIMEOUT_SECONDS: "2",
      LOG_LEVEL: process.env.FLOW_TEST_LOG_LEVEL ?? "silent",
      ...env,
    }),
  );
  return {
    url: manager.url,
    token,
    root,
    async close() {
      await manager.close();
      await rm(root, { recursive: true, force: true });
      await rm(socketRoot, { recursive: true, force: true });
    },
  };
}
