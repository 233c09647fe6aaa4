import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configFrom } from "../src/index.ts";
import { startTestManager, TestClient } from "./helpers.ts";

describe("configuration", () => {
  it("has the documented defaults", () => {
    const config = configFrom({ DATA_DIR: "/var/lib/dockflow" });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8000,
      publishHost: "127.0.0.1",
      messageTimeoutMs: 30_000,
      cpuWarnPercent: 90,
      memoryWarnPercent: 90,
      allowedRoots: ["/var/lib/dockflow/flows"],
      socketRoot: "/var/lib/dockflow/sockets",
    });
  });

  it("splits FLOW_ALLOWED_ROOTS on ':' and ',' and wants absolute paths", () => {
    expect(configFrom({ FLOW_ALLOWED_ROOTS: "/a:/b,/c" }).allowedRoots).toEqual(["/a", "/b", "/c"]);
    expect(() => configFrom({ FLOW_ALLOWED_ROOTS: "relative/dir" })).toThrow(/absolute/);
  });

  it("refuses a non-loopback HOST without a token, with a clear message", () => {
    expect(() => configFrom({ HOST: "0.0.0.0" })).toThrow(/FLOW_MANAGER_TOKEN/);
    expect(configFrom({ HOST: "0.0.0.0", FLOW_MANAGER_TOKEN: "a-long-enough-secret" }).host).toBe(
      "0.0.0.0",
    );
  });

  it("reads FLOW_DEFAULT_LABELS as k=v pairs or JSON, and keeps the manager's labels its own", () => {
    expect(configFrom({ FLOW_DEFAULT_LABELS: "team=a, tier = web" }).defaultLabels).toEqual({
      team: "a",
      tier: "web",
    });
    expect(configFrom({ FLOW_DEFAULT_LABELS: '{"a.b":"c"}' }).defaultLabels).toEqual({
      "a.b": "c",
    });
    expect(() => configFrom({ FLOW_DEFAULT_LABELS: "dockflow.flow.managed=false" })).toThrow(
      /FLOW_DEFAULT_LABELS: must not set dockflow.flow.\* labels/,
    );
  });

  it("refuses a placeholder or short FLOW_MANAGER_TOKEN, naming the variable only", () => {
    expect(() => configFrom({ FLOW_MANAGER_TOKEN: "change-me-flow-manager-token" })).toThrow(
      "FLOW_MANAGER_TOKEN: is a placeholder (it starts with change-me): set a real secret",
    );
    expect(() => configFrom({ FLOW_MANAGER_TOKEN: "short-token" })).toThrow(
      "FLOW_MANAGER_TOKEN: must be at least 16 characters",
    );
    expect(configFrom({ FLOW_MANAGER_TOKEN: "a-real-token-0123456789" }).token).toBe(
      "a-real-token-0123456789",
    );
  });

  it("names the variable and never echoes the value in its errors", () => {
    const secret = "short-secret";
    let message = "";
    try {
      configFrom({ FLOW_MANAGER_TOKEN: secret, FLOW_LIVE_MESSAGE_ACTIVITY: "sometimes" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid flow manager configuration: FLOW_MANAGER_TOKEN: /);
    expect(message).toMatch(/FLOW_LIVE_MESSAGE_ACTIVITY: must be true or false/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain("sometimes");
  });

  it("reads the webhooks from FLOW_WEBHOOKS or FLOW_WEBHOOKS_FILE, with their folder and retries", async () => {
    const hook = {
      url: "https://hooks.example/x",
      events: ["container_crashed"],
      secret: "s".repeat(16),
    };
    expect(configFrom({ DATA_DIR: "/var/lib/dockflow" }).webhooks).toEqual({
      hooks: [],
      dir: "/var/lib/dockflow/webhooks",
      policy: { baseDelayMs: 10_000, maxDelayMs: 600_000, windowMs: 86_400_000 },
      timeoutMs: 10_000,
    });
    const fromEnv = configFrom({
      FLOW_WEBHOOKS: JSON.stringify([hook]),
      FLOW_WEBHOOK_DIR: "/srv/hooks",
      FLOW_WEBHOOK_RETRY_SECONDS: "60",
    }).webhooks;
    expect(fromEnv).toMatchObject({
      hooks: [hook],
      dir: "/srv/hooks",
      policy: { windowMs: 60_000 },
    });
    const folder = await mkdtemp(join(tmpdir(), "dockflow-fm-config-"));
    try {
      const file = join(folder, "webhooks.json");
      await writeFile(file, JSON.stringify([hook]));
      expect(configFrom({ FLOW_WEBHOOKS_FILE: file }).webhooks.hooks).toEqual([hook]);
      expect(() => configFrom({ FLOW_WEBHOOKS_FILE: join(folder, "none.json") })).toThrow(
        "FLOW_WEBHOOKS_FILE: cannot read: ENOENT",
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("refuses a bad webhook list without echoing its secrets", () => {
    const secret = "too-short-secret";
    const bad = [
      [{ url: "ftp://x", events: ["container_crashed"], secret: "s".repeat(16) }, /0\.url/],
      [
        { url: "https://x", events: ["container_exploded"], secret: "s".repeat(16) },
        /0\.events\.0/,
      ],
      [
        { url: "https://x", events: ["container_crashed"], secret: secret.slice(0, 9) },
        /0\.secret/,
      ],
    ] as const;
    for (const [hook, where] of bad) {
      let message = "";
      try {
        configFrom({ FLOW_WEBHOOKS: JSON.stringify([hook]) });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^invalid flow manager configuration: FLOW_WEBHOOKS: /);
      expect(message).toMatch(where);
      expect(message).not.toContain(hook.secret);
    }
    expect(() => configFrom({ FLOW_WEBHOOKS: "[{" })).toThrow("FLOW_WEBHOOKS: is not valid JSON");
  });

  it("refuses a socket root too long for Unix socket paths", () => {
    expect(() => configFrom({ FLOW_SOCKET_ROOT: `/tmp/${"d".repeat(90)}` })).toThrow(/too long/);
  });
});

describe("authentication", () => {
  it("requires the token in auth.token, compared exactly, and says why it refuses", async () => {
    const token = "test-token-0123456789abcdef";
    const fm = await startTestManager({ FLOW_MANAGER_TOKEN: token });
    try {
      await expect(TestClient.connect(fm.url)).rejects.toThrow(/requires a token/);
      await expect(TestClient.connect(fm.url, { token: `${token}x` })).rejects.toThrow(/not valid/);
      await expect(TestClient.connect(fm.url, { token: 12345 })).rejects.toThrow(
        /requires a token/,
      );
      const client = await TestClient.connect(fm.url, { token });
      expect((await client.call("list_containers", {})).ok).toBe(true);
      client.close();
    } finally {
      await fm.close();
    }
  });
});
