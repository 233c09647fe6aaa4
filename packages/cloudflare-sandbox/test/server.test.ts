import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "@dockflow/testkit";
import Cloudflare from "cloudflare";
import { afterEach, describe, expect, it } from "vitest";
import { parseSandboxEnv } from "../src/config.ts";
import { DEFAULT_ACCOUNT_ID, DEFAULT_TOKEN } from "../src/index.ts";

describe("standalone server configuration", () => {
  it("has defaults that need no setup", () => {
    expect(parseSandboxEnv({})).toMatchObject({
      CF_SANDBOX_PORT: 8787,
      CF_SANDBOX_HOST: "127.0.0.1",
      CF_SANDBOX_ZONES: ["example.com"],
      CF_SANDBOX_ACCOUNT_ID: DEFAULT_ACCOUNT_ID,
      CF_SANDBOX_TOKEN: DEFAULT_TOKEN,
      CF_SANDBOX_RATE_LIMIT: 1200,
      CF_SANDBOX_RATE_LIMIT_WINDOW_SECONDS: 300,
    });
  });

  it("parses zones and rejects bad values", () => {
    expect(parseSandboxEnv({ CF_SANDBOX_ZONES: " a.com, B.org ,," }).CF_SANDBOX_ZONES).toEqual([
      "a.com",
      "b.org",
    ]);
    expect(() => parseSandboxEnv({ CF_SANDBOX_PORT: "http" })).toThrow(/CF_SANDBOX_PORT/);
    expect(() => parseSandboxEnv({ CF_SANDBOX_ZONES: "not a zone" })).toThrow(/CF_SANDBOX_ZONES/);
    expect(() => parseSandboxEnv({ CF_SANDBOX_ACCOUNT_ID: "acc" })).toThrow(
      /CF_SANDBOX_ACCOUNT_ID/,
    );
  });
});

describe("standalone server", () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  });

  it("starts from the environment and prints what to use", async () => {
    const packageDir = fileURLToPath(new URL("..", import.meta.url));
    let output = "";
    child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      cwd: packageDir,
      env: {
        ...process.env,
        CF_SANDBOX_PORT: "0",
        CF_SANDBOX_ZONES: "dockflow.test,example.org",
        CF_SANDBOX_ACCOUNT_ID: "abcdefabcdefabcdefabcdefabcdef12",
        CF_SANDBOX_TOKEN: "dev-token",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });

    const banner = await waitFor(
      () =>
        output
          .split("\n")
          .filter((line) => line.includes('"base_url"'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)[0],
      { message: `the server's banner (output so far: ${output})` },
    );
    expect(banner).toMatchObject({
      account_id: "abcdefabcdefabcdefabcdefabcdef12",
      api_token: "dev-token",
      zones: [{ name: "dockflow.test" }, { name: "example.org" }],
    });
    const baseURL = String(banner.base_url);
    expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);

    const cf = new Cloudflare({ apiToken: "dev-token", baseURL, maxRetries: 0 });
    const zones = await cf.zones.list({ name: "dockflow.test" });
    expect(zones.result.map((z) => z.account.id)).toEqual(["abcdefabcdefabcdefabcdefabcdef12"]);
    const tunnel = await cf.zeroTrust.tunnels.cloudflared.create({
      account_id: "abcdefabcdefabcdefabcdefabcdef12",
      name: "dev",
    });
    expect(tunnel.status).toBe("inactive");
  });
});
