import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  dockerFor,
  removeLabelled,
  testLabels,
  waitFor,
} from "../src/index.ts";

// Proves the test environment is real: a container from a locally built image runs on the
// engine, and a database is created, written and read on PostgreSQL.
describe("real engines", () => {
  const docker = dockerFor();
  afterAll(() => removeLabelled(docker));

  it("runs a container from the locally built busybox image and removes it", async () => {
    const container = await docker.createContainer({
      Image: "dockflow-base/busybox:local",
      Cmd: ["sh", "-c", "echo hello-from-$HOSTNAME; exit 7"],
      Labels: testLabels(),
    });
    await container.start();
    const state = await waitFor(async () => {
      const info = await container.inspect();
      return info.State.Status === "exited" ? info.State : undefined;
    });
    expect(state.ExitCode).toBe(7);
    const logs = (await container.logs({ stdout: true })).toString("utf8");
    expect(logs).toContain(`hello-from-${container.id.slice(0, 12)}`);
    await removeLabelled(docker);
    await expect(container.inspect()).rejects.toThrow(/no such container/i);
  });

  it("writes and reads a fresh PostgreSQL database", async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query("create table t (v text)");
      await client.query("insert into t values ($1)", ["dockflow"]);
      const { rows } = await client.query<{ v: string; version: string }>(
        "select v, version() as version from t",
      );
      expect(rows[0]?.v).toBe("dockflow");
      expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
    } finally {
      await client.end();
      await db.drop();
    }
  });

  it("has an isolated swarm-mode engine for the Swarm tests", async () => {
    const host = process.env.TEST_SWARM_DOCKER_HOST;
    expect(host, "TEST_SWARM_DOCKER_HOST").toBeTruthy();
    const info = await dockerFor(host).info();
    expect(info.Swarm.LocalNodeState).toBe("active");
    expect(readFileSync("/proc/self/cgroup", "utf8").length).toBeGreaterThan(0);
  });
});
