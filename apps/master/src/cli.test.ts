import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "./testing/harness.ts";

describe("keys CLI", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await runCli(argv, { MASTER_URL: t.url, MASTER_ADMIN_TOKEN: ADMIN_TOKEN }, (l) =>
      lines.push(l),
    );
    return { code, output: lines.join("\n") };
  };

  it("issues, lists and revokes keys through the API", async () => {
    const issued = await run("keys", "issue", "worker-7");
    expect(issued.code).toBe(0);
    const id = /id:\s+(\S+)/.exec(issued.output)?.[1];
    const key = /key:\s+(\S+)/.exec(issued.output)?.[1];
    expect(key).toMatch(/^dfa_/);
    const listed = await run("keys", "list");
    expect(listed.output).toContain(`${id}\tworker-7\t-\tactive`);
    expect(listed.output).not.toContain(key);
    expect((await run("keys", "revoke", id!)).code).toBe(0);
    expect((await run("keys", "list")).output).toContain("revoked");
  });

  it("fails with a usage line, a missing token, or an unknown key", async () => {
    expect(await run("keys")).toMatchObject({ code: 2, output: expect.stringContaining("usage") });
    expect(await runCli(["keys", "list"], { MASTER_URL: t.url }, () => {})).toBe(2);
    expect(await run("keys", "revoke", "key_nope")).toMatchObject({ code: 1 });
  });
});
