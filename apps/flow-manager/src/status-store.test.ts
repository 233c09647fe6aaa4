import { describe, expect, it } from "vitest";
import type { ContainerInspect } from "./docker.ts";
import { LABEL_SOCKET_DIR } from "./labels.ts";
import { StatusStore } from "./status-store.ts";

/** The part of an inspect result the store reads. */
function inspect(id: string, name: string, status: string, exitCode = 0): ContainerInspect {
  return {
    Id: id,
    Name: `/${name}`,
    Created: "2026-11-30T01:00:00.000000000Z",
    RestartCount: 0,
    Config: { Image: "flow:latest", Labels: { [LABEL_SOCKET_DIR]: `/tmp/s/${name}` } },
    HostConfig: { RestartPolicy: { Name: "no" } },
    State: {
      Status: status,
      ExitCode: exitCode,
      OOMKilled: false,
      Error: "",
      StartedAt: "2026-11-30T01:00:01.000000000Z",
      FinishedAt: "0001-01-01T00:00:00Z",
    },
  } as unknown as ContainerInspect;
}

describe("StatusStore history", () => {
  it("keeps the newest N states, oldest first", () => {
    const store = new StatusStore({ historySize: 3 });
    const id = "a".repeat(64);
    for (const s of ["created", "running", "exited", "running", "exited"]) {
      store.applyInspect(inspect(id, "one", s));
    }
    expect(store.get(id)?.history.map((h) => h.status)).toEqual(["exited", "running", "exited"]);
  });

  it("records a state once, not on every inspect that repeats it", () => {
    const store = new StatusStore({ historySize: 10 });
    const id = "b".repeat(64);
    store.applyInspect(inspect(id, "two", "created"));
    const again = store.applyInspect(inspect(id, "two", "created"));
    store.applyInspect(inspect(id, "two", "running"));
    expect(again.previous).toBe("created");
    expect(store.get(id)?.history.map((h) => h.status)).toEqual(["created", "running"]);
  });

  it("tracks an unknown Docker state as dead, and the exit code only once stopped", () => {
    const store = new StatusStore({ historySize: 10 });
    const id = "c".repeat(64);
    const first = store.applyInspect(inspect(id, "three", "running", 5));
    expect(first).toMatchObject({ previous: null, tracked: { state: "running", exitCode: null } });
    expect(store.applyInspect(inspect(id, "three", "zombie", 7)).tracked).toMatchObject({
      state: "dead",
      exitCode: 7,
      socketDir: "/tmp/s/three",
    });
  });
});

describe("StatusStore.resolve", () => {
  const store = new StatusStore({ historySize: 10 });
  const alpha = `abc1${"0".repeat(60)}`;
  const beta = `abc2${"0".repeat(60)}`;
  store.applyInspect(inspect(alpha, "alpha", "running"));
  store.applyInspect(inspect(beta, "beta", "running"));

  it("finds a container by full id, unique id prefix, or name with or without the slash", () => {
    expect(store.resolve(alpha)?.name).toBe("alpha");
    expect(store.resolve("abc2")?.id).toBe(beta);
    expect(store.resolve("alpha")?.id).toBe(alpha);
    expect(store.resolve("/beta")?.id).toBe(beta);
  });

  it("resolves an ambiguous prefix to nothing", () => {
    expect(store.resolve("abc")).toBeUndefined();
  });

  it("does not treat a non-hex reference as a prefix, nor match unknown ones", () => {
    expect(store.resolve("alp")).toBeUndefined();
    expect(store.resolve("abcz")).toBeUndefined();
    expect(store.resolve("ffff")).toBeUndefined();
  });
});
