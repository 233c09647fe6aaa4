import { describe, expect, it } from "vitest";
import { countByState } from "./metrics.ts";

describe("countByState", () => {
  it("counts each state and reports every other state as 0", () => {
    const counts = countByState(["running", "exited", "running"]);
    expect(Object.fromEntries(counts)).toEqual({
      created: 0,
      running: 2,
      paused: 0,
      restarting: 0,
      removing: 0,
      exited: 1,
      dead: 0,
    });
  });
});
