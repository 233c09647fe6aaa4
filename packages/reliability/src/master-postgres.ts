import { execFile } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./master-harness.ts";

const run = promisify(execFile);
const BIN = "/usr/lib/postgresql/15/bin";

/**
 * A throwaway PostgreSQL server of a test's own (initdb + pg_ctl as the `postgres` user, on a free
 * loopback port), so a test may stop and restart it without touching the shared one.
 */
export interface OwnPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

async function asPostgres(command: string): Promise<void> {
  if (userInfo().username === "postgres") {
    await run("sh", ["-c", command]);
    return;
  }
  await run("su", ["postgres", "-s", "/bin/sh", "-c", command]);
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(join(tmpdir(), "dockflow-rel-pg-"));
  const data = join(dir, "data");
  const { stdout } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  const port = await freePort();
  await asPostgres(`${BIN}/initdb -D ${data} -A trust -U postgres >/dev/null`);
  const ctl = (action: string) =>
    asPostgres(
      `${BIN}/pg_ctl -D ${data} -o "-p ${port} -k ${dir} -c listen_addresses=127.0.0.1" -l ${dir}/log -w ${action}`,
    );
  await ctl("start");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => ctl("start"),
    stop: () => ctl("-m fast stop"),
    async destroy() {
      await ctl("-m immediate stop").catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
