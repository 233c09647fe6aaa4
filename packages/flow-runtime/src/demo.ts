import { setTimeout as sleep, setImmediate as yieldToLoop } from "node:timers/promises";
import { listFiles } from "./files.ts";
import type { Handler } from "./handlers.ts";

/**
 * The built-in demo handlers, active when the code folder holds no entry file, so that a bare
 * flow image answers out of the box (and tests of the manager have something to drive).
 */
export const DEMO_COMMANDS = [
  "allocate",
  "burn",
  "crash",
  "echo",
  "emit",
  "env",
  "files",
  "process",
  "progress",
  "sleep",
] as const;

export interface DemoOptions {
  /** The code folder (`files` lists it). */
  codeDir: string;
  /** How `crash` ends the process. */
  exit: (code: number) => void;
}

const MB = 1024 * 1024;
const MAX_EMIT = 100_000;
const MAX_FILES = 1000;
const BURN_SLICE_MS = 20;

function record(data: unknown): Record<string, unknown> {
  return typeof data === "object" && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : {};
}

function integer(data: unknown, key: string, fallback: number, min: number, max: number): number {
  const value = record(data)[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`data.${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function createDemoHandlers(options: DemoOptions): Map<string, Handler> {
  /** Memory `allocate` holds on to (until `release`). */
  let held: Buffer[] = [];

  const handlers: Record<(typeof DEMO_COMMANDS)[number], Handler> = {
    /** Returns the data unchanged. */
    echo: (data) => data,

    /** The seed's example command. */
    process: (data) => {
      const { input, options: opts } = record(data);
      return { processed: true, input, options: opts };
    },

    /** `{ms}`: waits, then returns `{slept: ms}` (aborted by reload/shutdown). */
    sleep: async (data, ctx) => {
      const ms = integer(data, "ms", 0, 0, 2_147_483_647);
      await sleep(ms, undefined, { signal: ctx.signal });
      return { slept: ms };
    },

    /** `{count, command?}`: sends `count` unasked messages `{index, count}`, then returns. */
    emit: (data, ctx) => {
      const count = integer(data, "count", 1, 0, MAX_EMIT);
      const command = record(data).command ?? "event";
      if (typeof command !== "string" || command === "") {
        throw new TypeError("data.command must be a non-empty string");
      }
      for (let index = 0; index < count; index++) ctx.send(command, { index, count });
      return { emitted: count };
    },

    /** `{steps}`: sends `steps` status messages `{step, of}` before the result. */
    progress: (data, ctx) => {
      const steps = integer(data, "steps", 3, 0, MAX_EMIT);
      for (let step = 1; step <= steps; step++) ctx.status({ step, of: steps });
      return { done: true, steps };
    },

    /** `{exit_code}`: answers, then ends the process with that code once the reply is written. */
    crash: (data, ctx) => {
      const exitCode = integer(data, "exit_code", 1, 0, 255);
      ctx.afterReply(() => options.exit(exitCode));
      return { crashing: true, exit_code: exitCode };
    },

    /**
     * `{mb}`: allocates and writes that many MB and keeps them (for memory-limit tests);
     * `{release: true}` drops everything held first.
     */
    allocate: (data) => {
      if (record(data).release === true) held = [];
      const mb = integer(data, "mb", 0, 0, 1_048_576);
      for (let i = 0; i < mb; i++) held.push(Buffer.allocUnsafe(MB).fill(i % 251));
      return { allocated_mb: mb, held_mb: held.length };
    },

    /** `{ms}`: keeps a CPU busy that long, yielding every few ms so other requests still run. */
    burn: async (data, ctx) => {
      const ms = integer(data, "ms", 100, 0, 3_600_000);
      const started = Date.now();
      const end = started + ms;
      let spins = 0;
      while (Date.now() < end) {
        const sliceEnd = Math.min(end, Date.now() + BURN_SLICE_MS);
        while (Date.now() < sliceEnd) spins++;
        ctx.signal.throwIfAborted();
        await yieldToLoop();
      }
      return { burned_ms: Date.now() - started, spins };
    },

    /** `{keys: [...]}`: the environment variables among `keys` that are set (never the rest). */
    env: (data) => {
      const keys = record(data).keys ?? [];
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) {
        throw new TypeError("data.keys must be an array of strings");
      }
      const env: Record<string, string> = {};
      for (const key of keys as string[]) {
        const value = process.env[key];
        if (value !== undefined) env[key] = value;
      }
      return env;
    },

    /** Lists the files in the code folder. */
    files: async () => {
      const { files, truncated } = await listFiles(options.codeDir, MAX_FILES);
      return { dir: options.codeDir, files, truncated };
    },
  };
  return new Map(Object.entries(handlers));
}
