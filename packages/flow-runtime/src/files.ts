import { createHash } from "node:crypto";
import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface FileList {
  /** Paths relative to the folder, `/`-separated, sorted; folders named node_modules are skipped. */
  files: string[];
  /** True when `limit` cut the list short. */
  truncated: boolean;
}

/** Lists the regular files under `dir` (an absent folder is empty). */
export async function listFiles(dir: string, limit = Number.POSITIVE_INFINITY): Promise<FileList> {
  const files: string[] = [];
  let truncated = false;
  async function walk(relative: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(dir, relative), { withFileTypes: true });
    } catch (error) {
      if (relative === "" && (error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (files.length >= limit) {
        truncated = true;
        return;
      }
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") await walk(path);
      } else if (entry.isFile()) {
        files.push(path);
      }
    }
  }
  await walk("");
  return { files, truncated };
}

/** A short content hash of the files under `dir` (names and bytes; node_modules excluded). */
export async function hashFiles(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const path of (await listFiles(dir)).files) {
    const content = await readFile(join(dir, path));
    hash.update(path).update("\0").update(String(content.length)).update("\0").update(content);
  }
  return hash.digest("hex").slice(0, 16);
}
