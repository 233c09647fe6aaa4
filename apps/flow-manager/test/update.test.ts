import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { removeLabelled } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ask,
  docker,
  runFlow,
  startTestManager,
  TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

async function filesIn(id: string, dir: string): Promise<string[]> {
  const exec = await docker.getContainer(id).exec({
    Cmd: ["ls", "-A", dir],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise((resolve) => {
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", resolve);
  });
  // Strip Docker's 8-byte stream headers.
  const raw = Buffer.concat(chunks);
  let text = "";
  for (let o = 0; o + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(o + 4);
    text += raw.subarray(o + 8, o + 8 + size).toString();
    o += 8 + size;
  }
  return text.split("\n").filter(Boolean).sort();
}

describe("update_container replaces the code in a running container", () => {
  let fm: TestManager;
  let client: TestClient;

  beforeAll(async () => {
    fm = await startTestManager();
    client = await TestClient.connect(fm.url);
  });

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("round trip: v1 then v2, old files gone, picked up by reload", async () => {
    const v1 = join(fm.root, "v1");
    const v2 = join(fm.root, "v2");
    await mkdir(join(v1, "lib"), { recursive: true });
    await mkdir(v2);
    await writeFile(join(v1, "index.mjs"), 'export { hello } from "./lib/hello.mjs";\n');
    await writeFile(join(v1, "lib", "hello.mjs"), 'export function hello() { return "v1"; }\n');
    await writeFile(join(v1, "old.txt"), "old");
    await writeFile(join(v1, ".hidden"), "old");
    await writeFile(join(v2, "index.mjs"), 'export const hello = (data) => ({ v: "v2", data });\n');
    await writeFile(join(v2, "new.txt"), "new");

    const id = await runFlow(client, uniqueName("upd"));
    // The bare image answers with its built-in handlers.
    expect((await ask(client, id, "echo", 1)).message.data).toBe(1);

    const first = await client.ok("update_container", {
      container_id: id,
      code_path: v1,
      request_id: "u1",
    });
    expect(first).toMatchObject({
      request_id: "u1",
      code_path: v1,
      applied_by: "reload",
      status: "running",
    });
    expect((await ask(client, id, "hello")).message).toMatchObject({
      command: "result",
      data: "v1",
    });
    expect(await filesIn(id, "/app/flow")).toEqual([".hidden", "index.mjs", "lib", "old.txt"]);

    const second = await client.ok("update_container", { container_id: id, code_path: v2 });
    expect(second.applied_by).toBe("reload");
    expect(await filesIn(id, "/app/flow")).toEqual(["index.mjs", "new.txt"]);
    expect((await ask(client, id, "hello", 7)).message.data).toEqual({ v: "v2", data: 7 });
    // The old handler set is gone with the old code.
    expect((await ask(client, id, "echo", 1)).message.command).toBe("error");
    await client.waitEvent(
      "activity_log",
      (e) => e.activity_type === "container_updated" && e.container_id === id,
    );
  });

  it("code that fails to load is applied by restarting the container", async () => {
    const broken = join(fm.root, "broken");
    await mkdir(broken);
    await writeFile(join(broken, "index.mjs"), 'throw new Error("broken on purpose");\n');
    const id = await runFlow(client, uniqueName("upd-broken"));
    const ack = await client.ok("update_container", { container_id: id, code_path: broken });
    expect(ack.applied_by).toBe("restart");
  });

  it("refuses code paths outside the allowed roots, and stopped containers", async () => {
    const id = await runFlow(client, uniqueName("upd-refuse"));
    await symlink("/etc", join(fm.root, "to-etc"));
    for (const path of [
      "/etc",
      `${fm.root}/../`,
      join(fm.root, "to-etc"),
      join(fm.root, "missing"),
    ]) {
      const ack = await client.call("update_container", { container_id: id, code_path: path });
      expect(ack).toMatchObject({
        ok: false,
        error: { error_type: "validation_error", details: { operation: "update_container" } },
      });
    }
    const ok = join(fm.root, "ok");
    await mkdir(ok);
    await client.ok("stop_container", { container_id: id, timeout: 1 });
    const stopped = await client.call("update_container", { container_id: id, code_path: ok });
    expect(stopped).toMatchObject({ ok: false, error: { error_type: "docker_api_error" } });
  });
});
