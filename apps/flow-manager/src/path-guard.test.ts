import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowError } from "./errors.ts";
import { PathGuard } from "./path-guard.ts";

describe("PathGuard", () => {
  let base: string;
  let root: string;
  let outside: string;
  let guard: PathGuard;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "dockflow-guard-"));
    root = join(base, "root");
    outside = join(base, "outside");
    await mkdir(join(root, "flows", "one"), { recursive: true });
    await mkdir(outside);
    await writeFile(join(root, "flows", "file.txt"), "x");
    await symlink(outside, join(root, "escape"));
    await symlink(join(root, "flows", "one"), join(base, "inward"));
    guard = new PathGuard({ roots: [root, join(base, "missing-root")] });
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function refusal(path: string, kind?: "directory"): Promise<FlowError> {
    const error = await guard.check(path, "code_path", kind).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof FlowError)) throw new Error(`expected a refusal for ${path}`);
    return error;
  }

  it("accepts the root itself and what lies under it, returning the real path", async () => {
    expect(await guard.check(root, "code_path")).toBe(root);
    expect(await guard.check(join(root, "flows", "..", "flows", "one"), "v", "directory")).toBe(
      join(root, "flows", "one"),
    );
    // A symlink outside the roots that points inside is judged by its target.
    expect(await guard.check(join(base, "inward"), "v")).toBe(join(root, "flows", "one"));
  });

  it("refuses `..` and symlinks that leave the roots, naming the field", async () => {
    const dotdot = await refusal(join(root, "..", "outside"));
    expect(dotdot.errorType).toBe("validation_error");
    expect(dotdot.message).toMatch(/code_path .* is outside the allowed roots/);
    expect(dotdot.details).toMatchObject({ issues: [{ path: "code_path" }] });
    expect((await refusal(join(root, "escape"))).message).toMatch(/outside the allowed roots/);
  });

  it("refuses a sibling whose name merely starts with the root's", async () => {
    const sibling = `${root}-other`;
    await mkdir(sibling);
    expect((await refusal(sibling)).message).toMatch(/outside the allowed roots/);
  });

  it("refuses relative and missing paths, and a file where a directory is required", async () => {
    expect((await refusal("flows/one")).message).toMatch(/must be an absolute path/);
    expect((await refusal(join(root, "nope"))).message).toMatch(/does not exist on the host/);
    expect((await refusal(join(root, "flows", "file.txt"), "directory")).message).toMatch(
      /is not a directory/,
    );
  });
});
