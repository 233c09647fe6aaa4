import { describe, expect, it } from "vitest";
import {
  AgentEvent,
  Command,
  CreateContainerRequest,
  ErrorBody,
  issuesOf,
  SendMessageRequest,
  StartContainerRequest,
} from "../src/index.ts";
import { rejection } from "./rejection.ts";

describe("flow manager requests", () => {
  it("names the missing field", () => {
    expect(rejection(CreateContainerRequest, { name: "x" })).toMatch(/^image: /);
    expect(rejection(StartContainerRequest, {})).toMatch(/^container_id: /);
  });
  it("names the field of the wrong type", () => {
    expect(
      rejection(CreateContainerRequest, { image: "flow:latest", environment: { A: 1 } }),
    ).toMatch(/^environment\.A: .*string/);
    expect(rejection(SendMessageRequest, { container_id: "abc", message: "hi" })).toMatch(
      /^message: /,
    );
  });
  it("rejects unknown fields rather than ignoring them", () => {
    expect(rejection(StartContainerRequest, { container_id: "abc", privileged: true })).toMatch(
      /privileged/,
    );
  });
  it("rejects relative volume paths and bad mount modes", () => {
    expect(
      rejection(CreateContainerRequest, { image: "a", volumes: { "host/path": "/c" } }),
    ).toMatch(/volumes/);
    expect(rejection(CreateContainerRequest, { image: "a", volumes: { "/h": "/c:rx" } })).toMatch(
      /volumes\.\/h/,
    );
  });
  it("parses memory limits given as sizes", () => {
    expect(CreateContainerRequest.parse({ image: "a", memory_limit: "64m" }).memory_limit).toBe(
      64 * 1024 * 1024,
    );
    expect(rejection(CreateContainerRequest, { image: "a", memory_limit: "1k" })).toMatch(/6 MiB/);
  });
  it("coerces numeric port strings and rejects out-of-range ports", () => {
    expect(CreateContainerRequest.parse({ image: "a", ports: { "8080": "9090" } }).ports).toEqual({
      "8080": 9090,
    });
    expect(rejection(CreateContainerRequest, { image: "a", ports: { "8080": 70000 } })).toMatch(
      /ports\.8080/,
    );
  });
});

describe("error body", () => {
  it("accepts exactly the seed's eight error types", () => {
    const base = { message: "m", details: { operation: "start_container" } };
    expect(ErrorBody.parse({ ...base, error_type: "container_not_found" }).details.operation).toBe(
      "start_container",
    );
    expect(rejection(ErrorBody, { ...base, error_type: "not_found" })).toMatch(/^error_type: /);
    expect(
      rejection(ErrorBody, {
        ...base,
        error_type: "validation_error",
        details: { operation: "x" },
      }),
    ).toMatch(/details\.operation/);
  });
});

describe("master bodies", () => {
  it("rejects an unknown event type and says which values are allowed", () => {
    const message = rejection(AgentEvent, { type: "container_explode", container: { name: "x" } });
    expect(message).toMatch(/^type: /);
    expect(message).toMatch(/container_start/);
  });
  it("rejects an unknown command action", () => {
    expect(
      rejection(Command, { id: "c1", timestamp: new Date().toISOString(), action: "nuke" }),
    ).toMatch(/^action: /);
  });
  it("reports nested paths", () => {
    const result = AgentEvent.safeParse({ type: "container_start", container: { name: 5 } });
    expect(result.success).toBe(false);
    expect(issuesOf(result.error!)).toEqual([
      { path: "container.name", message: expect.stringMatching(/string/) },
    ]);
  });
});
