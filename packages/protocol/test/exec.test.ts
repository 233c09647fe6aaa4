import { describe, expect, it } from "vitest";
import {
  clientEvents,
  ExecInputRequest,
  ExecOutput,
  ExecStartRequest,
  Operation,
  replyEventOf,
  serverEvents,
} from "../src/index.ts";
import { rejection } from "./rejection.ts";

describe("exec events", () => {
  it("are requests with replies, operations for error details, and pushes", () => {
    for (const op of ["exec_start", "exec_input", "exec_resize", "exec_close"] as const) {
      expect(Object.keys(clientEvents)).toContain(op);
      expect(Operation.options).toContain(op);
    }
    expect(replyEventOf.exec_start).toBe("exec_started");
    expect(replyEventOf.exec_input).toBe("exec_input_written");
    expect(Object.keys(serverEvents)).toEqual(
      expect.arrayContaining(["exec_output", "exec_ended"]),
    );
  });

  it("take a command, a terminal and its size, and variables", () => {
    const req = {
      container_id: "abc",
      cmd: ["sh", "-c", "read x"],
      tty: true,
      cols: 120,
      rows: 40,
      env: { LANG: "C.UTF-8" },
    };
    expect(ExecStartRequest.parse(req)).toEqual(req);
  });

  it("refuse a size without a terminal, empty commands and bad variable names", () => {
    expect(rejection(ExecStartRequest, { container_id: "abc", rows: 40 })).toBe(
      "rows: rows needs tty: true",
    );
    expect(rejection(ExecStartRequest, { container_id: "abc", cmd: [] })).toMatch(/^cmd: /);
    expect(rejection(ExecStartRequest, { container_id: "abc", env: { "A-B": "1" } })).toMatch(
      /^env\.A-B: .*letters, digits and '_'/,
    );
    expect(
      rejection(ExecStartRequest, { container_id: "abc", tty: true, cols: 0, rows: 1001 }),
    ).toMatch(/^cols: .*; rows: /);
  });

  it("take input as UTF-8 text, or base64 when it says so", () => {
    expect(ExecInputRequest.parse({ session_id: "s", data: "ls -l\n" }).data).toBe("ls -l\n");
    expect(ExecInputRequest.parse({ session_id: "s", data: "AAE=", encoding: "base64" })).toEqual({
      session_id: "s",
      data: "AAE=",
      encoding: "base64",
    });
    expect(rejection(ExecInputRequest, { session_id: "s", data: "é", encoding: "base64" })).toBe(
      "data: data is not valid base64",
    );
    expect(rejection(ExecInputRequest, { session_id: "s", data: "x", encoding: "hex" })).toMatch(
      /^encoding: /,
    );
  });

  it("send output as base64", () => {
    expect(ExecOutput.safeParse({ session_id: "s", stream: "stdout", data: "aGk=" }).success).toBe(
      true,
    );
    expect(ExecOutput.safeParse({ session_id: "s", stream: "stdout", data: "hi!" }).success).toBe(
      false,
    );
  });
});
