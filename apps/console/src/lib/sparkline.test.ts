import { expect, it } from "vitest";
import { sparklinePoints } from "./sparkline.ts";

it("maps percentages onto the box, newest on the right, clamped to 0-100", () => {
  expect(sparklinePoints([0, 50, 150], 80, 20)).toBe("0,20 40,10 80,0");
  expect(sparklinePoints([-5], 80, 20)).toBe("80,20");
  expect(sparklinePoints([], 80, 20)).toBe("");
});

it("keeps the last width/2 values", () => {
  const values = Array.from({ length: 10 }, (_, i) => i * 10);
  expect(sparklinePoints(values, 8, 10).split(" ")).toEqual(["0,4", "2.7,3", "5.3,2", "8,1"]);
});
