import { describe, expect, it } from "vitest";
import {
  appendSamples,
  applyStatusChanged,
  applyStatusUpdate,
  countStates,
  type FlowRow,
  removeRow,
  visibleRows,
} from "./flow-containers.ts";

const row = (id: string, name: string, status: FlowRow["status"] = "running"): FlowRow => ({
  id,
  name,
  image: "flow:latest",
  status,
  health: "none",
  created_at: "2026-01-01T00:00:00Z",
});

const usage = (cpu: number, sampledAt: string | null) => ({
  cpu_percent: cpu,
  memory_percent: cpu / 2,
  memory_usage_bytes: 1,
  memory_limit_bytes: 2,
  network_rx_bytes: 0,
  network_tx_bytes: 0,
  block_read_bytes: 0,
  block_write_bytes: 0,
  pids: 1,
  sampled_at: sampledAt,
});

const update = (id: string, name: string, cpu: number, at: string | null) => ({
  containers: [
    { ...row(id, name), resource_usage: usage(cpu, at), uptime_seconds: 5, restart_count: 0 },
  ],
  timestamp: "2026-01-01T00:00:10Z",
});

describe("applyStatusUpdate", () => {
  it("replaces the containers it names, keeps the others, and sorts by name", () => {
    const rows = [row("b", "beta", "exited"), row("a", "alpha")];
    const next = applyStatusUpdate(rows, update("a", "alpha", 12, "2026-01-01T00:00:09Z"));
    expect(next.map((r) => [r.name, r.status, r.resource_usage?.cpu_percent])).toEqual([
      ["alpha", "running", 12],
      ["beta", "exited", undefined],
    ]);
  });

  it("adds a container it did not know", () => {
    const next = applyStatusUpdate([row("b", "beta")], update("c", "aaa", 1, null));
    expect(next.map((r) => r.id)).toEqual(["c", "b"]);
  });
});

describe("applyStatusChanged", () => {
  const change = {
    container_id: "a",
    name: "alpha",
    old_status: "running" as const,
    new_status: "exited" as const,
    timestamp: "2026-01-01T00:00:00Z",
  };
  it("updates a known container's status", () => {
    const { rows, known } = applyStatusChanged([row("a", "alpha"), row("b", "beta")], change);
    expect(known).toBe(true);
    expect(rows.map((r) => r.status)).toEqual(["exited", "running"]);
  });
  it("says when the container is unknown (the caller refetches)", () => {
    const before = [row("b", "beta")];
    const { rows, known } = applyStatusChanged(before, change);
    expect(known).toBe(false);
    expect(rows).toBe(before);
  });
});

it("removeRow drops the deleted container", () => {
  expect(removeRow([row("a", "alpha"), row("b", "beta")], "a").map((r) => r.id)).toEqual(["b"]);
});

it("countStates counts running, exited and the rest", () => {
  const rows = [
    row("a", "a"),
    row("b", "b", "exited"),
    row("c", "c", "dead"),
    row("d", "d", "created"),
  ];
  expect(countStates(rows)).toEqual({ running: 1, exited: 2, other: 1 });
});

describe("appendSamples", () => {
  it("keeps the last samples in order and skips repeats and unsampled containers", () => {
    let history = new Map();
    history = appendSamples(history, update("a", "alpha", 1, "2026-01-01T00:00:01Z"), 2);
    history = appendSamples(history, update("a", "alpha", 2, "2026-01-01T00:00:02Z"), 2);
    history = appendSamples(history, update("a", "alpha", 2, "2026-01-01T00:00:02Z"), 2);
    history = appendSamples(history, update("a", "alpha", 3, "2026-01-01T00:00:03Z"), 2);
    history = appendSamples(history, update("b", "beta", 3, null), 2);
    expect(history.get("a")?.map((s: { cpu: number }) => s.cpu)).toEqual([2, 3]);
    expect(history.has("b")).toBe(false);
  });
});

describe("visibleRows", () => {
  const rows = Array.from({ length: 7 }, (_, i) => row(`id${i}`, `flow-${i}`));
  it("pages the rows", () => {
    const second = visibleRows(rows, "", 2, 3);
    expect(second.rows.map((r) => r.name)).toEqual(["flow-3", "flow-4", "flow-5"]);
    expect([second.matching, second.pages, second.page]).toEqual([7, 3, 2]);
  });
  it("filters by name or image before paging, and keeps the page in range", () => {
    const found = visibleRows(rows, " FLOW-6 ", 5, 3);
    expect(found.rows.map((r) => r.name)).toEqual(["flow-6"]);
    expect([found.matching, found.pages, found.page]).toEqual([1, 1, 1]);
    expect(visibleRows(rows, "flow:latest", 0, 3).rows).toHaveLength(3);
    expect(visibleRows([], "", 1, 3)).toEqual({ rows: [], matching: 0, pages: 1, page: 1 });
  });
});
