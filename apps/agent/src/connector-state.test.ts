import { describe, expect, it } from "vitest";
import {
  connectorVersion,
  goneAction,
  needsStart,
  statusAfterEvent,
  statusKey,
} from "./connector-state.ts";
import type { DockerEvent } from "./docker/events.ts";
import type { ConnectorInfo } from "./docker/manager.ts";

const info = (status: string, running: boolean): ConnectorInfo => ({
  id: "c1",
  name: "tunnel",
  status,
  running,
});
const event = (Action: string, exitCode?: string) =>
  ({
    Type: "container",
    Action,
    Actor: { ID: "c1", Attributes: exitCode === undefined ? {} : { exitCode } },
  }) as DockerEvent;

describe("connectorVersion", () => {
  it("reads a dated tag, also before a digest, and otherwise reports the image", () => {
    expect(connectorVersion("cloudflare/cloudflared:2025.9.0")).toBe(
      "cloudflared version 2025.9.0",
    );
    expect(connectorVersion("registry:5000/cloudflared:2024.12.10@sha256:abc")).toBe(
      "cloudflared version 2024.12.10",
    );
    expect(connectorVersion("cloudflare/cloudflared:latest")).toBe("cloudflare/cloudflared:latest");
    expect(connectorVersion("cloudflared:x2025.9.0")).toBe("cloudflared:x2025.9.0");
    expect(connectorVersion("cloudflared:2025.9.0-rc")).toBe("cloudflared:2025.9.0-rc");
  });
});

describe("statusKey", () => {
  it("tells containers, states and tasks apart", () => {
    expect(statusKey({ ...info("running", true), task_id: "t1" })).toBe("c1|running|t1");
    expect(statusKey({ name: "tunnel", status: "missing", running: false })).toBe("|missing|");
  });
});

describe("needsStart", () => {
  it("starts only a stopped connector container that is not restarting", () => {
    expect(needsStart(info("exited", false), "container")).toBe(true);
    expect(needsStart(info("created", false), "container")).toBe(true);
    expect(needsStart(info("restarting", false), "container")).toBe(false);
    expect(needsStart(info("running", true), "container")).toBe(false);
    expect(needsStart(info("exited", false), "service")).toBe(false);
    expect(needsStart(undefined, "container")).toBe(false);
  });
});

describe("statusAfterEvent", () => {
  it("reports the inspect when it agrees with the event", () => {
    expect(statusAfterEvent(event("start"), info("running", true), "tunnel")).toEqual(
      info("running", true),
    );
    expect(statusAfterEvent(event("die", "1"), info("exited", false), "tunnel")).toEqual(
      info("exited", false),
    );
  });

  it("reports nothing for a start the inspect contradicts", () => {
    expect(statusAfterEvent(event("start"), info("exited", false), "tunnel")).toBeUndefined();
    expect(statusAfterEvent(event("start"), undefined, "tunnel")).toBeUndefined();
  });

  it("reports an exit with the event's code when the inspect shows it running again or gone", () => {
    const exited = { name: "tunnel", status: "exited", running: false };
    expect(statusAfterEvent(event("die", "137"), info("running", true), "tunnel")).toEqual({
      ...exited,
      error: "connector exited with code 137",
    });
    expect(statusAfterEvent(event("die"), undefined, "tunnel")).toEqual({
      ...exited,
      error: undefined,
    });
  });
});

describe("goneAction", () => {
  it("re-checks after die, stop, destroy and remove only", () => {
    expect(["die", "stop", "destroy", "remove"].map(goneAction)).toEqual([true, true, true, true]);
    expect(["start", "create", "restart", "kill"].map(goneAction)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
