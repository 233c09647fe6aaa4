import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAsyncApi } from "./asyncapi.ts";
import { flowEventsTs } from "./flow-events.ts";

/** The SDK package's folder. */
export const SDK_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** One generated file: its path relative to the SDK folder and its full content. */
export interface GeneratedFile {
  path: string;
  content: string;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function protocolVersion(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve("@dockflow/protocol");
  // The protocol's entry is <package>/src/index.ts.
  const pkg = JSON.parse(await readFile(join(dirname(entry), "..", "package.json"), "utf8"));
  return pkg.version as string;
}

/** Everything `pnpm generate` writes, computed in memory (the staleness test compares it). */
export async function generateAll(): Promise<GeneratedFile[]> {
  const asyncapi = buildAsyncApi({ version: await protocolVersion() });
  return [
    { path: "generated/asyncapi.json", content: json(asyncapi) },
    { path: "src/generated/flow-events.ts", content: flowEventsTs(asyncapi) },
  ];
}
