import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { consoleTarget, contentSecurityPolicy } from "./console-site.ts";

describe("consoleTarget", () => {
  const root = "/srv/console";

  it("maps / and index.html to the index, assets to immutable files, the rest to revalidated files", () => {
    expect(consoleTarget(root, "/")).toEqual({ kind: "index" });
    expect(consoleTarget(root, "/index.html")).toEqual({ kind: "index" });
    expect(consoleTarget(root, "/assets/app-1a2b.js")).toEqual({
      kind: "file",
      path: "/srv/console/assets/app-1a2b.js",
      cache: "immutable",
    });
    expect(consoleTarget(root, "/favicon.svg")).toEqual({
      kind: "file",
      path: "/srv/console/favicon.svg",
      cache: "no-cache",
    });
  });

  it("refuses paths that leave the folder, encoded or not, and NUL or backslash tricks", () => {
    for (const path of [
      "/../etc/passwd",
      "/assets/../../etc/passwd",
      "/%2e%2e/etc/passwd",
      "/assets/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "/a%00.js",
      "/..%5c..%5cetc",
      "/%E0%A4%A",
    ]) {
      expect(consoleTarget(root, path), path).toEqual({ kind: "not_found" });
    }
    // Dots inside the folder are fine.
    expect(consoleTarget(root, "/assets/../index.html")).toEqual({ kind: "index" });
  });
});

describe("contentSecurityPolicy", () => {
  it("allows no inline script, and the flow manager's origin over http and ws for connect", () => {
    expect(contentSecurityPolicy("http://127.0.0.1:8000/some/path")).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
        "connect-src 'self' http://127.0.0.1:8000 ws://127.0.0.1:8000; img-src 'self' data:; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(contentSecurityPolicy("https://flows.example.com")).toContain(
      "connect-src 'self' https://flows.example.com wss://flows.example.com;",
    );
    expect(contentSecurityPolicy(undefined)).toContain("connect-src 'self';");
  });
});

describe("the console build served at /", () => {
  let dir: string;
  let outside: string;
  let t: TestMaster;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dockflow-console-"));
    outside = await mkdtemp(join(tmpdir(), "dockflow-outside-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>console</title>");
    await writeFile(join(dir, "assets", "x-hash.js"), "console.log(1)");
    await writeFile(join(dir, "robots.txt"), "User-agent: *");
    await writeFile(join(outside, "secret.txt"), "secret");
    await symlink(join(outside, "secret.txt"), join(dir, "assets", "link.js"));
    t = await startTestMaster({
      env: {
        MASTER_CONSOLE_DIR: dir,
        MASTER_CONSOLE_FLOW_MANAGER_URL: "http://127.0.0.1:8000",
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  const get = (path: string, init: RequestInit = {}) => fetch(`${t.url}${path}`, init);

  it("serves hashed assets for a year, index.html uncached, with the CSP and safe headers", async () => {
    const asset = await get("/assets/x-hash.js");
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe("console.log(1)");
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const index = await get("/");
    expect(await index.text()).toBe("<!doctype html><title>console</title>");
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-security-policy")).toBe(
      contentSecurityPolicy("http://127.0.0.1:8000"),
    );
    expect(index.headers.get("x-content-type-options")).toBe("nosniff");
    expect(index.headers.get("referrer-policy")).toBe("no-referrer");
    const robots = await get("/robots.txt");
    expect(robots.headers.get("cache-control")).toBe("no-cache");
    const head = await get("/assets/x-hash.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("answers client-side routes with index.html, a missing asset with 404", async () => {
    const route = await get("/flows/abc?tab=logs");
    expect(route.status).toBe(200);
    expect(await route.text()).toContain("<title>console</title>");
    const missing = await get("/assets/nope-123.js");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not_found", message: "no such route" });
  });

  it("keeps the API (JSON 404 for unknown API paths, with the CSP too)", async () => {
    const unknown = await get("/api/v2/nope");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/^application\/json/);
    expect(unknown.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect((await get("/health")).status).toBe(200);
  });

  /** A GET with the path exactly as given (fetch would normalise dot segments first). */
  const raw = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(t.url);
      request({ host: hostname, port, path }, (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      })
        .on("error", reject)
        .end();
    });

  it("refuses path traversal and symbolic links out of the folder", async () => {
    const secret = `${basename(outside)}/secret.txt`;
    for (const path of [
      `/..%2f${secret.replace("/", "%2f")}`,
      `/assets/..%2f..%2f${secret.replace("/", "%2f")}`,
      `/assets/%2e%2e%2f%2e%2e%2f${secret.replace("/", "%2f")}`,
    ]) {
      const response = await raw(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.body).not.toContain("secret");
    }
    // Plain dot segments are resolved by the URL parser before any route sees them: what is
    // left is a path inside the folder (not a file there, so the index).
    const dots = await raw(`/../../${secret}`);
    expect(dots.body).not.toContain("secret");
    const link = await raw("/assets/link.js");
    expect(link.status).toBe(404);
    expect(link.body).not.toContain("secret");
  });
});
