import { existsSync } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./types.ts";

/** Serving the operator console's static build at `/`, and the headers every response carries. */

/** The strict Content-Security-Policy: no inline script; the flow manager's origin for Socket.IO. */
export function contentSecurityPolicy(flowManagerUrl: string | undefined): string {
  const connect = ["'self'"];
  if (flowManagerUrl) {
    const { origin, protocol } = new URL(flowManagerUrl);
    connect.push(origin, origin.replace(protocol, protocol === "https:" ? "wss:" : "ws:"));
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `connect-src ${connect.join(" ")}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Sets the CSP, `nosniff` and `no-referrer` on every response. */
export function securityHeaders(csp: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    c.res.headers.set("Content-Security-Policy", csp);
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "no-referrer");
  };
}

/**
 * Where a build of the console is, when MASTER_CONSOLE_DIR is not set: `apps/console/dist` when
 * running from the repository, `./console` next to the bundle in the image; undefined when neither
 * holds an index.html.
 */
export function defaultConsoleDir(moduleUrl: string): string | undefined {
  const candidates = ["../../console/dist", "./console"].map((p) =>
    fileURLToPath(new URL(p, moduleUrl)),
  );
  return candidates.find((dir) => existsSync(resolve(dir, "index.html")));
}

export type ConsoleTarget =
  | { kind: "file"; path: string; cache: "immutable" | "no-cache" }
  | { kind: "index" }
  | { kind: "not_found" };

const ASSETS = "/assets/";

/**
 * What a request path maps to in the build folder `root` (pure: no file system). A path that
 * leaves `root` (`..`, encoded or not), or holds a NUL, is not found; `/` and unknown non-asset
 * paths are the index (client-side routes).
 */
export function consoleTarget(root: string, requestPath: string): ConsoleTarget {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return { kind: "not_found" };
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return { kind: "not_found" };
  const base = resolve(root);
  const path = resolve(base, `.${decoded}`);
  if (path !== base && !path.startsWith(base + sep)) return { kind: "not_found" };
  const inside = path.slice(base.length).split(sep).join("/");
  if (inside === "" || inside === "/index.html") return { kind: "index" };
  return { kind: "file", path, cache: inside.startsWith(ASSETS) ? "immutable" : "no-cache" };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

const CACHE = {
  immutable: "public, max-age=31536000, immutable",
  "no-cache": "no-cache",
};

/** A file's bytes, if it is a regular file inside `root` once symbolic links are resolved. */
async function readInside(root: string, path: string): Promise<Buffer | undefined> {
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
    if (!real.startsWith(realRoot + sep) || !(await stat(real)).isFile()) return undefined;
    return await readFile(real);
  } catch {
    return undefined;
  }
}

/**
 * GET/HEAD of a path outside the API: a file of the build (hashed `/assets/*` cached for a year,
 * anything else revalidated), else `index.html` (no-cache) so client-side routes load the app;
 * a missing asset is 404 (`onMissing`).
 */
export function consoleSite(
  root: string,
  onMissing: (c: Context<AppEnv>) => Response | Promise<Response>,
): MiddlewareHandler<AppEnv> {
  const index = resolve(root, "index.html");
  const send = (c: Context<AppEnv>, body: Buffer, path: string, cache: keyof typeof CACHE) =>
    c.body(new Uint8Array(body), 200, {
      "Content-Type": TYPES[extname(path).toLowerCase()] ?? "application/octet-stream",
      "Cache-Control": CACHE[cache],
    });
  return async (c) => {
    const target = consoleTarget(root, c.req.path);
    if (target.kind === "file") {
      const body = await readInside(root, target.path);
      if (body) return send(c, body, target.path, target.cache);
      if (target.cache === "immutable") return onMissing(c);
    }
    if (target.kind === "not_found") return onMissing(c);
    const html = await readInside(root, index);
    return html ? send(c, html, index, "no-cache") : onMissing(c);
  };
}
