import { MAX_PAGE_SIZE } from "@dockflow/protocol";

/** A cursor that is not one this master handed out (or not for this list). */
export class InvalidCursorError extends Error {
  constructor() {
    super("invalid cursor: pass back a next_cursor of the same list");
  }
}

/** A list's sort key: the values of its sort columns, in order (unique per row). */
export type SortKey = readonly string[];

/** The opaque cursor of a sort key: base64url of its JSON. */
export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** The sort key of a cursor, which must have `size` parts (the list's sort columns). */
export function decodeCursor(cursor: string, size: number): SortKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError();
  }
  if (
    !Array.isArray(key) ||
    key.length !== size ||
    !key.every((part) => typeof part === "string" && part.length <= 512)
  ) {
    throw new InvalidCursorError();
  }
  return key;
}

/** What a repository needs to read one page: the rows after `after`, at most `limit` + 1 of them. */
export interface PageRequest {
  after: SortKey | undefined;
  /** The page size; a repository reads one row more to know whether another page follows. */
  limit: number;
}

/** The page request of `?limit=&cursor=` for a list sorted by `size` columns. */
export function pageRequest(query: { limit?: number; cursor?: string }, size: number): PageRequest {
  return {
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor, size),
    limit: query.limit ?? MAX_PAGE_SIZE,
  };
}

/** Cuts the `limit` + 1 rows a repository read into a page and the cursor of the next one. */
export function toPage<Row>(
  rows: Row[],
  request: PageRequest,
  keyOf: (row: Row) => SortKey,
): { rows: Row[]; next_cursor: string | null } {
  if (rows.length <= request.limit) return { rows, next_cursor: null };
  const page = rows.slice(0, request.limit);
  const last = page[page.length - 1];
  return { rows: page, next_cursor: last === undefined ? null : encodeCursor(keyOf(last)) };
}
