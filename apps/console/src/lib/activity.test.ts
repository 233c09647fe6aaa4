import { expect, it } from "vitest";
import { summarizePayload } from "./activity.ts";

it("summarizes a payload as key=value pairs", () => {
  expect(summarizePayload({ hostname: "a.example.com", replicas: 2, labels: { x: "<b>" } })).toBe(
    'hostname=a.example.com replicas=2 labels={"x":"<b>"}',
  );
});

it("cuts a long payload", () => {
  expect(summarizePayload({ k: "x".repeat(50) }, 10)).toBe("k=xxxxxxx…");
});
