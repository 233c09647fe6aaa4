import { describe, expect, it } from "vitest";
import { type Death, judgeDeath } from "./death.ts";

const crash: Death = {
  expected: false,
  exitCode: 3,
  eventExitCode: 3,
  oomKilled: false,
  restartPolicy: "",
};

describe("judgeDeath", () => {
  it("calls a non-zero exit a crash the manager recovers", () => {
    expect(judgeDeath(crash)).toEqual({ kind: "crash", exitCode: 3, managerRecovers: true });
    expect(judgeDeath({ ...crash, restartPolicy: "no" })).toMatchObject({ managerRecovers: true });
  });

  it("leaves the restart to Docker when a restart policy is set", () => {
    for (const restartPolicy of ["always", "on-failure", "unless-stopped"]) {
      expect(judgeDeath({ ...crash, restartPolicy })).toEqual({
        kind: "crash",
        exitCode: 3,
        managerRecovers: false,
      });
    }
  });

  it("never calls a stop the manager was asked for a crash", () => {
    expect(judgeDeath({ ...crash, expected: true, exitCode: 137 })).toEqual({ kind: "expected" });
  });

  it("calls exit 0 finished, unless the kernel killed it for memory", () => {
    expect(judgeDeath({ ...crash, exitCode: 0 })).toEqual({ kind: "finished" });
    expect(judgeDeath({ ...crash, exitCode: 0, oomKilled: true })).toMatchObject({
      kind: "crash",
      exitCode: 0,
    });
  });

  it("falls back to the die event's exit code when inspect has none", () => {
    expect(judgeDeath({ ...crash, exitCode: null, eventExitCode: 0 })).toEqual({
      kind: "finished",
    });
    expect(judgeDeath({ ...crash, exitCode: null, eventExitCode: 9 })).toMatchObject({
      exitCode: 9,
    });
    expect(judgeDeath({ ...crash, exitCode: null, eventExitCode: null })).toMatchObject({
      kind: "crash",
      exitCode: null,
    });
  });
});
