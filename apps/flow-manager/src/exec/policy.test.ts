import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FlowError } from "../errors.ts";
import {
  execSpecOf,
  inputBytes,
  limitRefusal,
  outputChunks,
  SESSION_ENV,
  signalCommand,
} from "./policy.ts";

const ID = "0f0e0d0c-0b0a-4908-8706-050403020100";

describe("execSpecOf", () => {
  it("runs /bin/sh without a terminal by default, marked with the session id", () => {
    expect(execSpecOf({ container_id: "c" }, ID)).toEqual({
      cmd: ["/bin/sh"],
      tty: false,
      env: [`${SESSION_ENV}=${ID}`],
      size: null,
    });
  });

  it("keeps the command, the variables in order, and sizes a terminal (80 x 24 by default)", () => {
    const spec = execSpecOf(
      { container_id: "c", cmd: ["sh", "-c", "echo hi"], tty: true, cols: 120, env: { A: "1" } },
      ID,
    );
    expect(spec).toEqual({
      cmd: ["sh", "-c", "echo hi"],
      tty: true,
      env: ["A=1", `${SESSION_ENV}=${ID}`],
      size: { cols: 120, rows: 24 },
    });
  });

  it("refuses to let a client set the marker variable", () => {
    let error: unknown;
    try {
      execSpecOf({ container_id: "c", env: { [SESSION_ENV]: "other" } }, ID);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlowError);
    expect((error as FlowError).errorType).toBe("validation_error");
    expect((error as FlowError).details.issues).toEqual([
      { path: `env.${SESSION_ENV}`, message: `${SESSION_ENV} is set by the manager` },
    ]);
  });
});

describe("limitRefusal", () => {
  const limits = { maxSessionsPerClient: 2, maxSessions: 3 };

  it("lets a client start sessions up to both limits", () => {
    expect(limitRefusal(limits, { client: 0, total: 0 })).toBeNull();
    expect(limitRefusal(limits, { client: 1, total: 2 })).toBeNull();
  });

  it("names the per-client limit first, then the total", () => {
    expect(limitRefusal(limits, { client: 2, total: 3 })?.variable).toBe(
      "FLOW_EXEC_MAX_PER_CLIENT",
    );
    expect(limitRefusal(limits, { client: 1, total: 3 })).toEqual({
      variable: "FLOW_EXEC_MAX_SESSIONS",
      message: "the manager already runs 3 exec sessions (FLOW_EXEC_MAX_SESSIONS=3)",
    });
  });
});

describe("inputBytes", () => {
  it("reads data as UTF-8 by default and as bytes with base64", () => {
    expect([...inputBytes({ session_id: "s", data: "é\n" })]).toEqual([0xc3, 0xa9, 0x0a]);
    expect([...inputBytes({ session_id: "s", data: "/wAB", encoding: "base64" })]).toEqual([
      0xff, 0x00, 0x01,
    ]);
  });
});

describe("outputChunks", () => {
  it("cuts output into pieces of at most the limit, in order, losing nothing", () => {
    const buf = Buffer.from("abcdefghij");
    expect(outputChunks(buf, 4).map(String)).toEqual(["abcd", "efgh", "ij"]);
    expect(outputChunks(buf, 10).map(String)).toEqual(["abcdefghij"]);
    expect(outputChunks(Buffer.alloc(0), 4)).toEqual([]);
  });
});

describe("signalCommand", () => {
  it("signals exactly the processes whose environment carries the session marker", () => {
    const [shell, flag, script] = signalCommand(ID, "HUP");
    expect([shell, flag]).toEqual(["/bin/sh", "-c"]);
    expect(script).toContain(`grep -qa '${SESSION_ENV}=${ID}'`);
    expect(script).toContain("kill -HUP");
    // The script is valid shell (parsed, not run).
    expect(() => execFileSync("/bin/sh", ["-n", "-c", script as string])).not.toThrow();
  });

  it("refuses a session id that is not the manager's own kind (no shell injection)", () => {
    expect(() => signalCommand("x'; reboot; '", "KILL")).toThrow(/unexpected session id/);
  });
});
