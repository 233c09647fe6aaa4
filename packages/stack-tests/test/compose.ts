import { execFile, spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const COMPOSE_FILE = join(REPO_ROOT, "docker/compose.yaml");

let cached: string[] | undefined;

/**
 * The compose command: DOCKFLOW_COMPOSE when set (e.g. "docker compose"), else Debian's
 * `docker-compose` (v1) when installed, else the `docker compose` plugin (v2).
 */
export function composeCommand(): string[] {
  if (cached) return cached;
  const override = process.env.DOCKFLOW_COMPOSE?.trim();
  if (override) {
    cached = override.split(/\s+/);
  } else if (spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0) {
    cached = ["docker-compose"];
  } else {
    cached = ["docker", "compose"];
  }
  return cached;
}

export interface ComposeProject {
  /** Project name (`-p`): containers, volumes and the network carry it. */
  name: string;
  /** Every compose file, docker/compose.yaml first. */
  files: string[];
  /** The variables (written to an --env-file, so a developer's docker/.env is never read). */
  envFile: string;
  profiles?: string[];
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one compose command for the project; never throws for a non-zero exit (see `code`). */
export function compose(
  project: ComposeProject,
  args: string[],
  timeoutMs = 300_000,
): Promise<Run> {
  const [command, ...prefix] = composeCommand();
  const argv = [
    ...prefix,
    "-p",
    project.name,
    "--env-file",
    project.envFile,
    ...project.files.flatMap((f) => ["-f", f]),
    ...(project.profiles ?? []).flatMap((p) => ["--profile", p]),
    ...args,
  ];
  return new Promise((resolvePromise) => {
    execFile(
      command!,
      argv,
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** Like `compose`, but throws with compose's output when the command fails. */
export async function composeOk(
  project: ComposeProject,
  args: string[],
  timeoutMs?: number,
): Promise<string> {
  const run = await compose(project, args, timeoutMs);
  if (run.code !== 0) {
    throw new Error(`compose ${args.join(" ")} exited ${run.code}:\n${run.stderr}${run.stdout}`);
  }
  return run.stdout;
}

/** Writes `KEY=value` lines (compose env-file syntax: no quoting, one variable a line). */
export async function writeEnvFile(path: string, env: Record<string, string>): Promise<void> {
  const lines = Object.entries(env).map(([key, value]) => {
    if (/[\n\r]/.test(value)) throw new Error(`${key}: env-file values cannot span lines`);
    return `${key}=${value}`;
  });
  await writeFile(path, `${lines.join("\n")}\n`);
}

/** The host port compose published for `service`'s container port (`compose port`). */
export async function publishedPort(
  project: ComposeProject,
  service: string,
  port: number,
): Promise<number> {
  const out = (await composeOk(project, ["port", service, String(port)])).trim();
  const published = Number(out.slice(out.lastIndexOf(":") + 1));
  if (!Number.isInteger(published) || published <= 0) {
    throw new Error(`no published port for ${service}:${port} (compose said "${out}")`);
  }
  return published;
}
