import { randomBytes } from "node:crypto";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { configFrom } from "@dockflow/flow-manager";
import { dockerFor, removeLabelled } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FLOW_IMAGE,
  FlowClient,
  type InProcessManager,
  ManagerProcess,
  managedInDocker,
  managerDirs,
  managerEnv,
  startInProcess,
  uniqueId,
} from "../src/flow-harness.ts";

const docker = dockerFor();

type Failure = {
  ok: false;
  error: { error_type: string; message: string; details: Record<string, unknown> };
};

describe("flow manager handshake: the authorization matrix", { timeout: 120_000 }, () => {
  const token = `tok-${randomBytes(24).toString("hex")}`;
  let secured: InProcessManager;
  let open: InProcessManager;
  const refusals: string[] = [];

  beforeAll(async () => {
    secured = await startInProcess("auth", { FLOW_MANAGER_TOKEN: token, LOG_LEVEL: "trace" });
    open = await startInProcess("open", { LOG_LEVEL: "trace" });
  }, 120_000);

  afterAll(async () => {
    await secured?.close();
    await open?.close();
  });

  const wrong: [string, Record<string, unknown> | undefined][] = [
    ["no auth at all", undefined],
    ["an empty auth object", {}],
    ["an empty token", { token: "" }],
    ["a wrong token", { token: `tok-${randomBytes(24).toString("hex")}` }],
    ["the token as a number", { token: 1234567890123456 }],
    ["the token inside an object", { token: { value: "x" } }],
    ["the token inside an array", { token: ["x"] }],
    ["the token under another key", { password: "placeholder" }],
    ["a huge token", { token: "t".repeat(200_000) }],
    ["a token with NUL", { token: "tok-\u0000" }],
  ];

  it.each(wrong)("a token is required: %s is refused", async (_label, auth) => {
    const result = await FlowClient.attempt(secured.url, auth);
    expect(result).toMatch(/^refused: unauthorized/);
    refusals.push(result);
  });

  it("near misses of the right token are refused (prefix, suffix, case, whitespace)", async () => {
    for (const near of [
      token.slice(0, -1),
      `${token}x`,
      token.toUpperCase(),
      ` ${token}`,
      `${token}\n`,
    ]) {
      const result = await FlowClient.attempt(secured.url, { token: near });
      expect(result, JSON.stringify(near)).toMatch(/^refused: unauthorized/);
      refusals.push(result);
    }
  });

  it("the token in the query string or a header instead of auth.token is refused", async () => {
    const viaQuery = await fetch(
      `${secured.url}/socket.io/?EIO=4&transport=polling&token=${token}`,
    ).then((r) => r.text());
    const sid = (JSON.parse(viaQuery.slice(1)) as { sid: string }).sid;
    const url = `${secured.url}/socket.io/?EIO=4&transport=polling&sid=${sid}&token=${token}`;
    await fetch(url, {
      method: "POST",
      body: "40",
      headers: { authorization: `Bearer ${token}` },
    });
    const answer = await fetch(url).then((r) => r.text());
    expect(answer).toMatch(/^44/); // CONNECT_ERROR
    expect(answer).toContain("unauthorized");
    refusals.push(answer);
  });

  it("the right token is accepted, and a refused client learns nothing about it", async () => {
    const client = await FlowClient.connect(secured.url, { token });
    expect((await client.call("list_containers", {})).ok).toBe(true);
    client.close();
    for (const r of refusals) expect(r).not.toContain(token.slice(4, 20));
  });

  it("without a token configured, loopback clients connect (a presented token is ignored)", async () => {
    expect(await FlowClient.attempt(open.url)).toBe("connected");
    expect(await FlowClient.attempt(open.url, { token: "anything" })).toBe("connected");
  });

  it("a non-loopback HOST without a token is refused at startup", async () => {
    for (const host of ["0.0.0.0", "::", "192.0.2.10", "127.0.0.1.example.com", "localhost.evil"]) {
      expect(() => configFrom({ HOST: host }), host).toThrow(/FLOW_MANAGER_TOKEN/);
    }
    expect(() => configFrom({ HOST: "0.0.0.0", FLOW_MANAGER_TOKEN: "short" })).toThrow(
      /at least 16/,
    );
    expect(configFrom({ HOST: "0.0.0.0", FLOW_MANAGER_TOKEN: token }).host).toBe("0.0.0.0");
    // The real entry point exits with status 2 and never echoes the token it was given.
    const dirs = await managerDirs("host");
    const run = await ManagerProcess.runToExit(
      managerEnv(dirs, { HOST: "0.0.0.0", FLOW_MANAGER_TOKEN: "" }),
    );
    expect(run.code).toBe(2);
    expect(run.output).toContain("FLOW_MANAGER_TOKEN");
    const shortSecret = `s${randomBytes(4).toString("hex")}`;
    const short = await ManagerProcess.runToExit(
      managerEnv(dirs, { HOST: "0.0.0.0", FLOW_MANAGER_TOKEN: shortSecret }),
    );
    expect(short.code).toBe(2);
    expect(short.output).not.toContain(shortSecret);
    await rm(dirs.root, { recursive: true, force: true });
    await rm(dirs.socketRoot, { recursive: true, force: true });
  });

  it("the token never appears in the manager's logs (trace level, after every refusal)", () => {
    expect(secured.logs.lines.length).toBeGreaterThan(0);
    expect(secured.logs.text).not.toContain(token);
    expect(secured.logs.text).not.toContain(token.slice(4, 20));
  });
});

describe("flow manager paths: volumes and code paths outside the allowed roots are refused", {
  timeout: 120_000,
}, () => {
  let fm: InProcessManager;
  let client: FlowClient;
  let flowId: string;
  const secretEnv = `env-secret-${randomBytes(12).toString("hex")}`;

  beforeAll(async () => {
    fm = await startInProcess("paths", { LOG_LEVEL: "trace" });
    client = await FlowClient.connect(fm.url);
    const r = fm.root;
    await mkdir(join(r, "inside", "deeper"), { recursive: true });
    await mkdir(`${r}-evil`, { recursive: true }); // same prefix as the root, outside it
    await symlink("/etc", join(r, "escape"));
    await symlink("..", join(r, "inside", "up"));
    await symlink(join(r, "escape"), join(r, "inside", "chain"));
    await symlink(`${r}-evil`, join(r, "sibling"));
    await symlink(join(r, "loop-b"), join(r, "loop-a"));
    await symlink(join(r, "loop-a"), join(r, "loop-b"));
    await writeFile(join(r, "inside", "file.txt"), "x");
    const code = join(r, "code");
    await mkdir(code);
    await writeFile(
      join(code, "index.mjs"),
      "export function hello() { return 'from user code'; }\n",
    );
    const name = uniqueId("paths");
    const created = await client.ok("create_container", {
      image: FLOW_IMAGE,
      name,
      environment: { API_KEY: secretEnv },
    });
    flowId = created.container_id;
    await client.ok("start_container", { container_id: flowId });
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await rm(`${fm?.root}-evil`, { recursive: true, force: true });
    await removeLabelled(docker);
  });

  function escapes(root: string): string[] {
    return [
      "/",
      "/etc",
      "/var/run/docker.sock",
      "/proc/self/root",
      "/proc/self/cwd",
      `${root}/..`,
      `${root}/../`,
      `${root}/inside/../../etc`,
      `${root}/inside/deeper/../../..`,
      `${root}//..//..//etc`,
      `${root}-evil`,
      `${root}/escape`,
      `${root}/escape/`,
      `${root}/inside/up/../etc`,
      `${root}/inside/up/..`,
      `${root}/inside/chain`,
      `${root}/sibling`,
      `${root}/loop-a`,
      `${root}/does-not-exist`,
      `${root}/inside/%2e%2e`,
    ];
  }

  it("volumes: every escape is a validation_error naming the field, and nothing is created", async () => {
    const before = await managedInDocker(docker, fm.managerId);
    for (const host of [...escapes(fm.root), "inside", "./inside", "~/inside"]) {
      const ack = (await client.raw("create_container", {
        image: FLOW_IMAGE,
        name: uniqueId("escape"),
        volumes: { [host]: "/data" },
      })) as Failure;
      expect(ack.ok, host).toBe(false);
      expect(ack.error.error_type, `${host}: ${ack.error.message}`).toBe("validation_error");
      expect(ack.error.details.operation).toBe("create_container");
    }
    expect(await managedInDocker(docker, fm.managerId)).toEqual(before);
  });

  it("volumes: a path inside the root is accepted (the check can tell the difference)", async () => {
    for (const host of [join(fm.root, "inside"), `${fm.root}/inside/up/inside`]) {
      const created = await client.ok("create_container", {
        image: FLOW_IMAGE,
        name: uniqueId("inside"),
        volumes: { [host]: "/data:ro" },
      });
      await client.ok("delete_container", { container_id: created.container_id });
    }
  });

  it("code_path: every escape is a validation_error, the container's code is unchanged", async () => {
    for (const path of [...escapes(fm.root), `${fm.root}/inside/file.txt`, "relative/code"]) {
      const ack = (await client.raw("update_container", {
        container_id: flowId,
        code_path: path,
      })) as Failure;
      expect(ack.ok, path).toBe(false);
      expect(ack.error.error_type, `${path}: ${ack.error.message}`).toBe("validation_error");
      expect(ack.error.details.operation).toBe("update_container");
    }
    const files = await client.ask(flowId, "files");
    expect(files).toMatchObject({ command: "result", data: { files: [] } });
  });

  it("code_path: a folder inside the root is accepted and runs", async () => {
    const updated = await client.ok("update_container", {
      container_id: flowId,
      code_path: join(fm.root, "code"),
    });
    expect(updated.applied_by).toBe("reload");
    expect(await client.ask(flowId, "hello")).toEqual({
      command: "result",
      data: "from user code",
    });
  });

  it("no secret given to a container (its environment) appears in logs or the activity log", async () => {
    const history = await client.ok("get_activity_log", { limit: 1000 });
    expect(history.entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(history)).not.toContain(secretEnv);
    expect(fm.logs.text).not.toContain(secretEnv);
  });
});
