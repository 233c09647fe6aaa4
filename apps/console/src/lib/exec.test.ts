import { FlowError } from "@dockflow/sdk";
import { describe, expect, it } from "vitest";
import { execFailure, execStateText, inputQueue } from "./exec.ts";

const disabled = new FlowError({
  error_type: "validation_error",
  message: "exec sessions are disabled on this flow manager",
  details: { exec_enabled: false },
});

describe("execFailure", () => {
  it("recognises the manager's answer when exec is off", () => {
    expect(execFailure(disabled)).toEqual({ kind: "disabled" });
  });

  it("keeps any other error as it is", () => {
    const badSize = new FlowError({
      error_type: "validation_error",
      message: "cols: too big",
      details: { issues: [] },
    });
    const notRunning = new FlowError({
      error_type: "docker_api_error",
      message: "container x is exited",
      details: { exec_enabled: false },
    });
    for (const error of [badSize, notRunning, new Error("boom")]) {
      expect(execFailure(error)).toEqual({ kind: "failed", error });
    }
  });
});

describe("execStateText", () => {
  it.each([
    [{ kind: "starting" } as const, "Starting a shell in the container…"],
    [
      { kind: "running", cmd: "/bin/sh" } as const,
      "Connected: /bin/sh. Keystrokes go to the container.",
    ],
    [{ kind: "ended", exitCode: 0 } as const, "The session ended with exit code 0."],
    [{ kind: "ended", exitCode: 130 } as const, "The session ended with exit code 130."],
    [{ kind: "ended", exitCode: null } as const, "The session ended; its exit code is unknown."],
    [
      { kind: "disabled" } as const,
      "Terminal sessions are disabled on this flow manager. Its operator can enable them with FLOW_EXEC_ENABLED=true.",
    ],
    [{ kind: "failed", error: new Error("no such container") } as const, "no such container"],
  ])("%o", (state, text) => {
    expect(execStateText(state)).toBe(text);
  });
});

describe("inputQueue", () => {
  it("sends one write at a time, in order, gathering what was typed meanwhile", async () => {
    const writes: string[] = [];
    const answers: (() => void)[] = [];
    const send = inputQueue({
      write: (data) => {
        writes.push(data);
        return new Promise<void>((resolve) => answers.push(resolve));
      },
      onError: (error) => {
        throw error;
      },
    });
    send("e");
    send("c");
    send("h");
    send("o");
    expect(writes).toEqual(["e"]);
    answers.shift()!();
    await Promise.resolve();
    await Promise.resolve();
    expect(writes).toEqual(["e", "cho"]);
    send("\r");
    answers.shift()!();
    await Promise.resolve();
    await Promise.resolve();
    expect(writes).toEqual(["e", "cho", "\r"]);
    answers.shift()!();
    await Promise.resolve();
    send("x");
    expect(writes).toEqual(["e", "cho", "\r", "x"]);
  });

  it("reports a failed write and drops what waited behind it", async () => {
    const errors: unknown[] = [];
    const writes: string[] = [];
    let fail: (error: Error) => void = () => {};
    const send = inputQueue({
      write: (data) => {
        writes.push(data);
        return writes.length === 1
          ? new Promise<void>((_, reject) => {
              fail = reject;
            })
          : Promise.resolve();
      },
      onError: (error) => errors.push(error),
    });
    send("a");
    send("b");
    const lost = new Error("session ended");
    fail(lost);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(errors).toEqual([lost]);
    expect(writes).toEqual(["a"]);
  });
});
