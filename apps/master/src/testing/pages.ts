import { expect } from "vitest";
import { json } from "./expect.ts";
import type { TestMaster } from "./harness.ts";

/**
 * Test-only: follows `next_cursor` from the first page of `path` (which carries its own query) to
 * the last; returns every page's items, in order, and how many pages there were.
 */
export async function pageThrough<T>(
  t: TestMaster,
  path: string,
  field: string,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const url: string = cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path;
    const page: Record<string, unknown> = await json(await t.admin(url));
    expect(Object.keys(page).sort()).toEqual([field, "next_cursor"].sort());
    items.push(...(page[field] as T[]));
    cursor = page.next_cursor as string | null;
    pages += 1;
    expect(pages).toBeLessThan(1000);
  } while (cursor !== null);
  return { items, pages };
}
