import { describe, expect, it } from "vitest";
import { buildCreateRequest, emptyCreateForm } from "./create-form.ts";

describe("buildCreateRequest", () => {
  it("builds a full create_container request from the form", () => {
    const result = buildCreateRequest({
      image: "flow:latest",
      name: "hello",
      environment: "A=1\n\nB=x=y",
      volumes: "/srv/flows/a:/data:ro",
      ports: "18080:8080\n5353:53/udp",
      memory_limit: "256m",
      cpu_limit: "0.5",
      restart_policy: "on-failure",
      healthcheck: "test -e /tmp/ok",
      healthcheck_interval: "5",
    });
    expect(result).toEqual({
      ok: true,
      request: {
        image: "flow:latest",
        name: "hello",
        environment: { A: "1", B: "x=y" },
        volumes: { "/srv/flows/a": "/data:ro" },
        ports: { "8080": "18080", "53/udp": "5353" },
        memory_limit: "256m",
        cpu_limit: 0.5,
        restart_policy: { name: "on-failure" },
        healthcheck: { test: ["CMD-SHELL", "test -e /tmp/ok"], interval_seconds: 5 },
      },
    });
  });

  it("sends only the image when nothing else is filled in", () => {
    expect(buildCreateRequest(emptyCreateForm)).toEqual({
      ok: true,
      request: { image: "flow:latest" },
    });
  });

  it("shows the protocol schema's own messages on the fields they concern", () => {
    const result = buildCreateRequest({
      ...emptyCreateForm,
      image: "",
      name: "bad name!",
      memory_limit: "1m",
      volumes: "relative:/data",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.image).toEqual([
      "image: Too small: expected string to have >=1 characters",
      "image: image must be an image reference such as flow:latest",
    ]);
    expect(result.errors.name).toEqual([
      "name: name may contain letters, digits, '_', '.' and '-'",
    ]);
    expect(result.errors.memory_limit).toEqual([
      "memory_limit: memory_limit must be at least 6 MiB",
    ]);
    expect(result.errors.volumes).toEqual(["volumes.relative: Invalid key in record"]);
  });

  it("explains malformed lines by their number", () => {
    const result = buildCreateRequest({
      ...emptyCreateForm,
      environment: "A=1\nnovalue",
      ports: "80",
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        environment: ["line 2: write KEY=value"],
        ports: ["line 1: write hostPort:containerPort[/udp]"],
      },
    });
  });
});
