import { describe, expect, it } from "vitest";
import { CLEAN_MOVE, moveVerdict } from "./scenario.ts";

describe("moveVerdict", () => {
  it("accepts the clean move, also with a short intermediate state missed by the sampler", () => {
    expect(moveVerdict(CLEAN_MOVE)).toBe("clean");
    expect(moveVerdict([CLEAN_MOVE[0]!, CLEAN_MOVE[2]!, CLEAN_MOVE[3]!])).toBe("clean");
  });

  it("rejects a missing CNAME, a CNAME ahead of its ingress, a move back, and no move", () => {
    const gap = [CLEAN_MOVE[0]!, "cname=missing ingress=new", CLEAN_MOVE[3]!];
    expect(moveVerdict(gap)).toBe(gap.join(" -> "));
    expect(moveVerdict([CLEAN_MOVE[0]!, "cname=new ingress=old", CLEAN_MOVE[3]!])).not.toBe(
      "clean",
    );
    expect(moveVerdict([...CLEAN_MOVE, CLEAN_MOVE[2]!, CLEAN_MOVE[3]!])).not.toBe("clean");
    expect(moveVerdict([CLEAN_MOVE[0]!])).not.toBe("clean");
  });
});
