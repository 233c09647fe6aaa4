import { expect } from "vitest";
import { describeIssues } from "../src/index.ts";

/** Asserts that `schema` refuses `value` and returns the issues as one sentence. */
export function rejection(
  schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
  value: unknown,
): string {
  const result = schema.safeParse(value);
  expect(result.success).toBe(false);
  return describeIssues(result.error as never);
}
