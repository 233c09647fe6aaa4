import { clientEvents, type RequestOf } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import { type CreateContext, reservedTarget, toCreateSpec } from "./create-options.ts";
import { FlowError } from "./errors.ts";

const ctx: CreateContext = {
  managerId: "m1",
  publishHost: "127.0.0.1",
  defaultLabels: { team: "default", "dockflow.test": "run-1" },
  init: true,
  socketDir: "/tmp/dff/abcdef012345",
  hostPaths: new Map([
    ["/srv/flows/data", "/srv/real/data"],
    ["/srv/flows/cache", "/srv/flows/cache"],
  ]),
};

/** Parses like the bridge does, so wire forms ("256m") arrive as the handler sees them. */
function spec(request: RequestOf<"create_container">, context: CreateContext = ctx) {
  return toCreateSpec(clientEvents.create_container.parse(request), context);
}

function refusal(request: RequestOf<"create_container">): FlowError {
  try {
    spec(request);
  } catch (error) {
    if (error instanceof FlowError) return error;
    throw error;
  }
  throw new Error("expected a validation_error");
}

describe("toCreateSpec", () => {
  it("gives the minimal request the manager's labels and the socket folder mount only", () => {
    expect(spec({ image: "flow:latest" })).toEqual({
      image: "flow:latest",
      env: [],
      init: true,
      labels: {
        team: "default",
        "dockflow.test": "run-1",
        "dockflow.flow.managed": "true",
        "dockflow.flow.manager": "m1",
        "dockflow.flow.socket_dir": "/tmp/dff/abcdef012345",
      },
      binds: ["/tmp/dff/abcdef012345:/run/flow"],
      portBindings: {},
    });
  });

  it("runs Docker's init as PID 1 as FLOW_CONTAINER_INIT says", () => {
    expect(spec({ image: "i" }).init).toBe(true);
    expect(spec({ image: "i" }, { ...ctx, init: false }).init).toBe(false);
  });

  it("publishes ports on the publish host, /tcp unless a protocol is given", () => {
    expect(spec({ image: "i", ports: { "8080": 18080, "53/udp": 5353 } }).portBindings).toEqual({
      "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "18080" }],
      "53/udp": [{ HostIp: "127.0.0.1", HostPort: "5353" }],
    });
  });

  it("binds volumes from their real host paths, keeping :ro / :rw and normalising the target", () => {
    const binds = spec({
      image: "i",
      volumes: { "/srv/flows/data": "/data:ro", "/srv/flows/cache": "/var/cache/../cache:rw" },
    }).binds;
    expect(binds).toEqual([
      "/srv/real/data:/data:ro",
      "/srv/flows/cache:/var/cache:rw",
      "/tmp/dff/abcdef012345:/run/flow",
    ]);
  });

  it("refuses mounts over the root, the socket folder and the code folder", () => {
    for (const target of ["/", "/run/flow", "/run/flow/x:ro", "/run/./flow", "/app/flow/lib"]) {
      const error = refusal({ image: "i", volumes: { "/srv/flows/data": target } });
      expect(error.errorType).toBe("validation_error");
      expect(error.message).toMatch(/^volumes: .* is reserved/);
      expect(error.details).toMatchObject({ issues: [{ path: "volumes./srv/flows/data" }] });
    }
    expect(reservedTarget("/run/flowers")).toBeNull();
    expect(reservedTarget("/app")).toBeNull();
  });

  it("turns memory strings into bytes and CPU cores into nano-CPUs", () => {
    expect(spec({ image: "i", memory_limit: "256m", cpu_limit: 1.5 })).toMatchObject({
      memoryBytes: 256 * 1024 * 1024,
      nanoCpus: 1_500_000_000,
    });
    expect(spec({ image: "i", memory_limit: "1g" }).memoryBytes).toBe(1024 ** 3);
    expect(spec({ image: "i", memory_limit: 8_000_000 }).memoryBytes).toBe(8_000_000);
  });

  it("passes environment and command, and Docker's restart policy with its retry count", () => {
    expect(
      spec({
        image: "i",
        name: "n1",
        environment: { A: "1", B: "x=y" },
        command: ["node", "main.js"],
        restart_policy: { name: "on-failure" },
      }),
    ).toMatchObject({
      name: "n1",
      env: ["A=1", "B=x=y"],
      cmd: ["node", "main.js"],
      restartPolicy: { Name: "on-failure", MaximumRetryCount: 0 },
    });
    expect(
      spec({ image: "i", restart_policy: { name: "always", maximum_retry_count: 3 } })
        .restartPolicy,
    ).toEqual({ Name: "always" });
  });

  it("converts health check seconds to nanoseconds and leaves unset fields out", () => {
    expect(
      spec({
        image: "i",
        healthcheck: { test: ["CMD-SHELL", "true"], interval_seconds: 0.5, retries: 2 },
      }).healthcheck,
    ).toEqual({ Test: ["CMD-SHELL", "true"], Interval: 500_000_000, Retries: 2 });
    expect(
      spec({
        image: "i",
        healthcheck: { test: ["NONE"], timeout_seconds: 3, start_period_seconds: 0 },
      }).healthcheck,
    ).toEqual({ Test: ["NONE"], Timeout: 3_000_000_000, StartPeriod: 0 });
  });

  it("puts request labels over the defaults and records crash recovery as a label", () => {
    const labels = spec({
      image: "i",
      labels: { team: "mine" },
      crash_recovery: { max_restarts: 2 },
    }).labels;
    expect(labels.team).toBe("mine");
    expect(JSON.parse(labels["dockflow.flow.crash_recovery"] ?? "")).toEqual({
      enabled: true,
      max_restarts: 2,
      initial_delay_ms: 1000,
      max_delay_ms: 60_000,
    });
  });

  it("refuses the manager's own label prefix in request labels", () => {
    const error = refusal({ image: "i", labels: { "dockflow.flow.managed": "false" } });
    expect(error.message).toBe("labels: dockflow.flow.managed is reserved for the manager");
    expect(error.details).toEqual({
      issues: [
        { path: "labels.dockflow.flow.managed", message: "dockflow.flow.* labels are reserved" },
      ],
    });
  });
});
