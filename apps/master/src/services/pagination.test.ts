import { MAX_PAGE_SIZE } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import {
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  pageRequest,
  toPage,
} from "./pagination.ts";

describe("cursors", () => {
  it("round-trip a sort key, opaque and URL-safe", () => {
    const cursor = encodeCursor(["app.example.com", "/api/.*"]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 2)).toEqual(["app.example.com", "/api/.*"]);
  });

  it("refuse garbage, another list's key size and non-strings", () => {
    expect(() => decodeCursor("%%%", 1)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encodeCursor(["a"]), 2)).toThrow(InvalidCursorError);
    const numbers = Buffer.from("[1]").toString("base64url");
    expect(() => decodeCursor(numbers, 1)).toThrow(InvalidCursorError);
    const object = Buffer.from('{"a":1}').toString("base64url");
    expect(() => decodeCursor(object, 1)).toThrow(InvalidCursorError);
  });
});

describe("pages", () => {
  it("without a limit read the largest page", () => {
    expect(pageRequest({}, 1)).toEqual({ after: undefined, limit: MAX_PAGE_SIZE });
    expect(pageRequest({ limit: 5, cursor: encodeCursor(["x"]) }, 1)).toEqual({
      after: ["x"],
      limit: 5,
    });
  });

  it("cut the extra row off and point the next cursor at the last row kept", () => {
    const rows = [{ id: "a" }, { id: "b" }, { id: "c" }];
    const page = toPage(rows, { after: undefined, limit: 2 }, (r) => [r.id]);
    expect(page.rows).toEqual([{ id: "a" }, { id: "b" }]);
    expect(decodeCursor(page.next_cursor ?? "", 1)).toEqual(["b"]);
    expect(toPage(rows, { after: undefined, limit: 3 }, (r) => [r.id])).toEqual({
      rows,
      next_cursor: null,
    });
  });
});
