import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { runLabelledContainer, TEST_LABEL, testRunId } from "@dockflow/testkit";
import type Docker from "dockerode";
import pino from "pino";
import { type RunningAgent, startAgent } from "../../src/index.ts";

export const STANDIN_IMAGE = "dockflow/cloudflared-standin:local";

/** Every log line an agent wrote, to check that no secret ever appears in one. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: pino.Logger;
  constructor(level = "debug") {
    const lines = this.lines;
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    this.logger = pino({ level }, stream);
  }
  includes(text: string): boolean {
    return this.lines.some((line) => line.includes(text));
  }
}

export interface TestAgentOptions {
  masterUrl: string;
  apiKey: string;
  dockerHost?: string;
  dataDir?: string;
  env?: Record<string, string>;
  /** Unique per test file by default. */
  scope: string;
}

/** Names unique to this test run: connector, network, discovery scope. */
export function uniqueNames(tag: string) {
  const id = `${tag}-${randomBytes(3).toString("hex")}`;
  return {
    id,
    connector: `dockflow-agent-test-${id}`,
    network: `dockflow-agent-test-${id}`,
    scopeLabel: `dockflow.agent-test=${id}`,
  };
}

/**
 * Starts a container labelled as in seed 2.1 (`dockflare.domain` = `<name>.example.com`,
 * `dockflare.port` 8080) inside the discovery scope `scopeLabel`; `extra` labels override.
 */
export function runLabelled(
  docker: Docker,
  scopeLabel: string,
  name: string,
  extra: Record<string, string> = {},
  hostConfig: Docker.HostConfig = {},
) {
  const [scopeKey, scopeValue] = scopeLabel.split("=") as [string, string];
  return runLabelledContainer(
    docker,
    name,
    {
      [scopeKey]: scopeValue,
      "dockflare.enable": "true",
      "dockflare.domain": `${name}.example.com`,
      "dockflare.port": "8080",
      ...extra,
    },
    hostConfig,
  );
}

export async function tempDataDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "dockflow-agent-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The agent's environment for a test: unique names, test labels on what it creates. */
export function agentEnv(
  options: TestAgentOptions & { names: ReturnType<typeof uniqueNames>; dataDir: string },
): Record<string, string> {
  return {
    MASTER_URL: options.masterUrl,
    AGENT_API_KEY: options.apiKey,
    DATA_DIR: options.dataDir,
    ...(options.dockerHost ? { DOCKER_HOST: options.dockerHost } : {}),
    REPORT_INTERVAL_SECONDS: "2",
    COMMAND_POLL_WAIT_SECONDS: "1",
    CLOUDFLARED_IMAGE: STANDIN_IMAGE,
    CLOUDFLARED_NETWORK: options.names.network,
    CONNECTOR_NAME: options.names.connector,
    CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
    DISCOVERY_SCOPE_LABEL: options.names.scopeLabel,
    AGENT_DISPLAY_NAME: `test agent ${options.names.id}`,
    HEALTH_HOST: "127.0.0.1",
    HEALTH_PORT: "0",
    METRICS_PORT: "0",
    LOG_LEVEL: "debug",
    ...options.env,
  };
}

export async function startTestAgent(
  env: Record<string, string>,
  logs = new LogCapture(),
): Promise<{ agent: RunningAgent; logs: LogCapture }> {
  const agent = await startAgent(env, { logger: logs.logger });
  return { agent, logs };
}
