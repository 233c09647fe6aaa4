import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs the docker CLI against `host` (as an operator would), returning stdout. */
export async function dockerCli(host: string | undefined, args: string[]): Promise<string> {
  const env = { ...process.env };
  if (host) env.DOCKER_HOST = host;
  else delete env.DOCKER_HOST;
  const { stdout } = await run("docker", args, { env, maxBuffer: 10 * 1024 * 1024 });
  return stdout.trim();
}
