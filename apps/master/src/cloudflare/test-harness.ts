// Test support for the Cloudflare gateway tests (imported by *.test.ts only).
import {
  type CloudflareSandbox,
  type CloudflareSandboxOptions,
  createCloudflareSandbox,
} from "@dockflow/cloudflare-sandbox";
import Cloudflare from "cloudflare";
import pino from "pino";
import {
  type CloudflareGateway,
  type CloudflareGatewayOptions,
  createCloudflareGateway,
} from "./gateway.ts";

export type { FetchLike } from "./transport.ts";

export interface PendingSleep {
  ms: number;
  wake(): void;
}

/**
 * The clock and the sleep function of a gateway under test. In `auto` mode a sleep advances the
 * clock at once (retries and budget waits run instantly, their lengths are recorded); in
 * `manual` mode a sleep stays pending until the test wakes it.
 */
export class TestClock {
  time = Date.UTC(2025, 0, 1);
  mode: "auto" | "manual" = "auto";
  readonly sleeps: number[] = [];
  readonly pending: PendingSleep[] = [];
  #waiters: Array<() => void> = [];

  now = (): number => this.time;

  sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    if (this.mode === "auto") {
      this.time += ms;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.pending.push({ ms, wake: resolve });
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  };

  advance(ms: number): void {
    this.time += ms;
  }

  /** Resolves with the oldest pending sleep once there is one (manual mode). */
  async nextSleep(): Promise<PendingSleep> {
    while (this.pending.length === 0) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.pending.shift()!;
  }
}

export interface Harness {
  sandbox: CloudflareSandbox;
  gateway: CloudflareGateway;
  clock: TestClock;
  /** Every log line the gateway wrote (trace level and up), as raw JSON text. */
  logs: string[];
  /** A plain SDK client on the same sandbox (no retries), to set the scene like a human would. */
  cf: Cloudflare;
  accountId: string;
  /** Another gateway on the same sandbox and clock. */
  makeGateway(overrides?: Partial<CloudflareGatewayOptions>): CloudflareGateway;
}

export function harness(
  options: { sandbox?: CloudflareSandboxOptions; gateway?: Partial<CloudflareGatewayOptions> } = {},
): Harness {
  const clock = new TestClock();
  const sandbox = createCloudflareSandbox({
    zones: ["example.com"],
    clock: clock.now,
    ...options.sandbox,
  });
  const logs: string[] = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => logs.push(line) });
  const makeGateway = (overrides: Partial<CloudflareGatewayOptions> = {}) =>
    createCloudflareGateway({
      apiToken: sandbox.token,
      accountId: sandbox.accountId,
      baseURL: sandbox.baseURL,
      fetch: sandbox.fetch,
      logger,
      now: clock.now,
      sleep: clock.sleep,
      ...options.gateway,
      ...overrides,
    });
  const cf = new Cloudflare({
    apiToken: sandbox.token,
    baseURL: sandbox.baseURL,
    fetch: sandbox.fetch,
    maxRetries: 0,
    logLevel: "off",
  });
  return {
    sandbox,
    gateway: makeGateway(),
    clock,
    logs,
    cf,
    accountId: sandbox.accountId,
    makeGateway,
  };
}

/** Awaits `promise`, which must reject, and returns the reason. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

/** Live tunnels of the sandbox with this name. */
export function liveTunnels(sandbox: CloudflareSandbox, name: string) {
  return [...sandbox.state.tunnels.values()].filter(
    (tunnel) => tunnel.name === name && tunnel.deleted_at === null,
  );
}

/** The sandbox's DNS records with this name. */
export function recordsNamed(sandbox: CloudflareSandbox, name: string) {
  return [...sandbox.state.dnsRecords.values()].filter((record) => record.name === name);
}
