import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AgentEvent,
  type ClientEventName,
  CommandsResponse,
  clientEvents,
  EnqueueCommandsRequest,
  LOG_OPERATIONS,
  RegisterRequest,
  RegisterResponse,
} from "../src/index.ts";

const fixtures = (seed: string) => join(import.meta.dirname, "fixtures", seed);
const read = (seed: string, file: string) =>
  JSON.parse(readFileSync(join(fixtures(seed), file), "utf8"));

describe("seed 000: every client example parses", () => {
  const files = readdirSync(fixtures("seed000"));
  it("has a fixture for every client event of the seed", () => {
    const events = new Set(files.map((f) => read("seed000", f).event));
    for (const name of Object.keys(clientEvents)) {
      // Ours, not the seed's.
      if (
        name === "get_activity_log" ||
        name.startsWith("exec_") ||
        (LOG_OPERATIONS as readonly string[]).includes(name)
      ) {
        continue;
      }
      expect(events).toContain(name);
    }
  });
  it.each(files)("%s", (file) => {
    const { event, payload } = read("seed000", file) as {
      event: ClientEventName;
      payload: unknown;
    };
    const parsed = clientEvents[event].parse(payload);
    expect(parsed).toMatchObject(payload as object);
  });
});

describe("seed 002: every HTTP body parses", () => {
  it("registration request and response", () => {
    expect(RegisterRequest.parse(read("seed002", "register_request.json")).mode).toBe("swarm");
    expect(RegisterResponse.parse(read("seed002", "register_response.json")).agent_id).toBe(
      "agent-ktnuv2s9qi5vdx6n8mrl0ug8z",
    );
  });
  it.each([
    ["event_container_start.json", "container_start"],
    ["event_container_start_migrated.json", "container_start"],
    ["event_tunnel_status.json", "tunnel_status"],
    ["event_status_report.json", "status_report"],
    ["event_heartbeat.json", "heartbeat"],
  ])("event %s", (file, type) => {
    const event = AgentEvent.parse(read("seed002", file));
    expect(event.type).toBe(type);
  });
  it("the migrated task report (seed 6.3) has no labels: they default to none", () => {
    const event = AgentEvent.parse(read("seed002", "event_container_start_migrated.json"));
    expect(event.type === "container_start" && event.container.labels).toEqual({});
  });
  it("commands response (seed 3.2)", () => {
    const [command] = CommandsResponse.parse(read("seed002", "commands_response.json")).commands;
    expect(command?.action).toBe("start_tunnel");
    expect(command?.action === "start_tunnel" && command.rules["app.example.com"]?.port).toBe(8080);
  });
  it("operator enqueue body (seed 5.3)", () => {
    const [command] = EnqueueCommandsRequest.parse(
      read("seed002", "enqueue_commands.json"),
    ).commands;
    expect(command?.action === "update_tunnel_config" && command.rules["app.example.com"]).toEqual({
      service: "web-app",
      port: 8080,
      replicas: 6,
      load_balancer: "round_robin",
    });
  });
});
