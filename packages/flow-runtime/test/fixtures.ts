import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type Logger, type Runtime, type RuntimeOptions, startRuntime } from "../src/index.ts";

/** A short temp folder under /tmp (Unix socket paths must stay under ~100 bytes). */
export function shortTempDir(prefix: string): Promise<string> {
  return mkdtemp(join("/tmp", prefix));
}

/** Replaces the whole content of `dir` by `files` (path -> source), like a code update does. */
export async function replaceCode(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true });
  for (const [path, source] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), source);
  }
}

export interface LogEntry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

export interface RuntimeFixture {
  runtime: Runtime;
  socketDir: string;
  codeDir: string;
  logs: LogEntry[];
  exits: number[];
  /** Closes the runtime and removes the temp folders. */
  dispose(): Promise<void>;
}

/** Starts a runtime in this process on temp folders; `files` is the initial code (none: demo). */
export async function startFixture(
  files: Record<string, string> = {},
  options: Omit<RuntimeOptions, "socketDir" | "codeDir" | "log" | "exit"> = {},
): Promise<RuntimeFixture> {
  const socketDir = await shortTempDir("frs-");
  const codeDir = await shortTempDir("frc-");
  await replaceCode(codeDir, files);
  const logs: LogEntry[] = [];
  const exits: number[] = [];
  const log: Logger = (level, msg, fields = {}) => logs.push({ level, msg, fields });
  const runtime = await startRuntime({
    ...options,
    socketDir,
    codeDir,
    log,
    exit: (code) => exits.push(code),
  });
  return {
    runtime,
    socketDir,
    codeDir,
    logs,
    exits,
    async dispose() {
      await runtime.close();
      await rm(socketDir, { recursive: true, force: true });
      await rm(codeDir, { recursive: true, force: true });
    },
  };
}
