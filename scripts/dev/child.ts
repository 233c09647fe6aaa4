import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { formatLine } from "./output.ts";

export interface ServiceSpec {
  /** Short name used as the output prefix. */
  name: string;
  /** Package folder (its own node_modules/.bin/tsx runs the entry). */
  cwd: string;
  /** Entry file, relative to cwd. */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** A package binary to run instead of `tsx watch <entry>` (e.g. vite), with its arguments. */
  bin?: { name: string; args: string[] };
}

/** One service under `tsx watch` (restarts when a file it imports changes), or its own watcher. */
export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal name) once tsx itself has exited. */
  readonly exited: Promise<number | string>;

  constructor(spec: ServiceSpec, width: number) {
    this.name = spec.name;
    const bin = join(spec.cwd, "node_modules/.bin", spec.bin?.name ?? "tsx");
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm install`);
    const args = spec.bin?.args ?? ["watch", "--clear-screen=false", spec.entry];
    // Same process group as dev.ts: Ctrl-C reaches every service at once, and so does a group kill.
    this.process = spawn(bin, args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const prefix = `${spec.name.padEnd(width)} |`;
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        process.stdout.write(`${prefix} ${formatLine(line)}\n`);
      });
    }
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
      this.process.once("error", (error) => {
        process.stdout.write(`${prefix} failed to start: ${error.message}\n`);
        resolve(1);
      });
    });
  }

  /** SIGTERM (tsx passes it on to the service), SIGKILL after `graceMs`; resolves once exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
