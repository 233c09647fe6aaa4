import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";
import type { AppEnv } from "./types.ts";

/**
 * Refuses text PostgreSQL cannot store, before any route sees it: NUL characters or unpaired
 * UTF-16 surrogates in any JSON string or key of the body (read by `readBody`, which refuses
 * bodies that are not UTF-8), path segment or query value (400 validation_error naming the
 * place). Without it, such values reached the database and failed there as 500s.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MESSAGE = "must not contain NUL characters or unpaired UTF-16 surrogates";

function unstorable(text: string): boolean {
  return text.includes("\u0000") || LONE_SURROGATE.test(text);
}

/**
 * The dotted path of the first unstorable string or key in a parsed JSON value, if any.
 * Iterative, so that hostile nesting depth cannot exhaust the call stack.
 */
interface Node {
  value: unknown;
  key?: string;
  parent?: Node;
}

function pathOf(node: Node): string {
  const keys: string[] = [];
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) keys.push(n.key);
  return keys.reverse().join(".") || "(root)";
}

export function findUnstorable(root: unknown): string | undefined {
  const stack: Node[] = [{ value: root }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { value } = node;
    if (typeof value === "string") {
      if (unstorable(value)) return pathOf(node);
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    const entries = Array.isArray(value) ? [...value.entries()] : Object.entries(value);
    // Pushed in reverse so the first offending field (in document order) is found first.
    for (const [key, child] of entries.reverse()) {
      const next: Node = { value: child, key: String(key), parent: node };
      if (typeof key === "string" && unstorable(key)) return pathOf(next);
      stack.push(next);
    }
  }
  return undefined;
}

function refuse(path: string): never {
  throw new HttpError(400, "validation_error", `invalid request: ${path} ${MESSAGE}`, {
    issues: [{ path, message: MESSAGE }],
  });
}

export const textGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = new URL(c.req.url);
  for (const segment of url.pathname.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, "bad_request", "malformed percent-encoding in the path");
    }
    if (unstorable(decoded)) refuse("path");
  }
  for (const [name, value] of url.searchParams) {
    if (unstorable(name) || unstorable(value)) refuse(`query.${name}`);
  }
  // The body, when there is one, was read and checked to be UTF-8 by `readBody`.
  if (c.req.bodyCache.text !== undefined) {
    const text = await c.req.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: the route's own validation answers it.
      return next();
    }
    const path = findUnstorable(parsed);
    if (path !== undefined) refuse(path);
  }
  return next();
};
