import { describe, expect, it } from "vitest";
import { diffListing, idsToConfirm, sameLabels } from "./discovery-diff.ts";
import type { Workload } from "./docker/manager.ts";

const workload = (id: string, labels: Record<string, string> = { a: "1" }): Workload => ({
  id,
  name: `w-${id}`,
  labels,
});

const state = (known: Workload[], stoppedByEvent: string[] = []) => ({
  known: new Map(known.map((w) => [w.id, w])),
  stoppedByEvent: new Set(stoppedByEvent),
});

describe("diffListing", () => {
  it("reports new workloads started in listing order and missing ones stopped", () => {
    const diff = diffListing(
      state([workload("1"), workload("2"), workload("3")]),
      [workload("4"), workload("2"), workload("5")],
      new Set(),
    );
    expect(diff.started.map((w) => w.id)).toEqual(["4", "5"]);
    expect(diff.stopped.map((w) => w.id)).toEqual(["1", "3"]);
    expect([...diff.known.keys()]).toEqual(["4", "2", "5"]);
  });

  it("reports an unchanged workload once, a relabelled one again with its new labels", () => {
    const known = state([workload("1", { a: "1", b: "2" }), workload("2", { a: "1" })]);
    const relabelled = workload("2", { a: "2" });
    const diff = diffListing(known, [workload("1", { b: "2", a: "1" }), relabelled], new Set());
    expect(diff.started).toEqual([relabelled]);
    expect(diff.stopped).toEqual([]);
    expect(diff.known.get("2")).toBe(relabelled);
  });

  it("believes a stop event over a lagging list until an inspect confirms the workload runs", () => {
    const before = state([workload("2")], ["1"]);
    const lagging = diffListing(before, [workload("1"), workload("2")], new Set());
    expect(lagging.started).toEqual([]);
    expect(lagging.stopped).toEqual([]);
    expect([...lagging.known.keys()]).toEqual(["2"]);
    expect([...lagging.stoppedByEvent]).toEqual(["1"]);

    const confirmed = diffListing(before, [workload("1"), workload("2")], new Set(["1"]));
    expect(confirmed.started.map((w) => w.id)).toEqual(["1"]);
    expect([...confirmed.stoppedByEvent]).toEqual([]);
    expect([...confirmed.known.keys()]).toEqual(["1", "2"]);
  });

  it("forgets the stop mark of a workload the listing no longer has", () => {
    const diff = diffListing(state([], ["1", "2"]), [workload("2")], new Set());
    expect([...diff.stoppedByEvent]).toEqual(["2"]);
    expect(diff.started).toEqual([]);
  });

  it("leaves the state it was given unchanged", () => {
    const before = state([workload("1")], ["2"]);
    diffListing(before, [workload("2"), workload("3")], new Set(["2"]));
    expect([...before.known.keys()]).toEqual(["1"]);
    expect([...before.stoppedByEvent]).toEqual(["2"]);
  });
});

describe("idsToConfirm", () => {
  it("names the listed workloads an event said stopped, in listing order", () => {
    expect(
      idsToConfirm(state([], ["3", "1", "9"]), [workload("1"), workload("2"), workload("3")]),
    ).toEqual(["1", "3"]);
  });
});

describe("sameLabels", () => {
  it("ignores key order and compares every value and the key count", () => {
    expect(sameLabels({ a: "1", b: "2" }, { b: "2", a: "1" })).toBe(true);
    expect(sameLabels({ a: "1" }, { a: "2" })).toBe(false);
    expect(sameLabels({ a: "1" }, { a: "1", b: "2" })).toBe(false);
    expect(sameLabels({ a: "1", b: "2" }, { a: "1" })).toBe(false);
    expect(sameLabels({ a: "1", b: "2" }, { a: "1", c: "2" })).toBe(false);
    expect(sameLabels({}, {})).toBe(true);
  });
});
