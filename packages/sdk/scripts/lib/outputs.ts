import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildAsyncApi } from "./asyncapi.ts";
import { flowEventsTs } from "./flow-events.ts";
import { masterApiTs } from "./master-api.ts";

/** The SDK package's folder. */
export const SDK_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** One generated file: its path relative to the SDK folder and its full content. */
export interface GeneratedFile {
  path: string;
  content: string;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A workspace package's folder (each one's entry is `<package>/src/index.ts`). */
function packageDir(name: string): string {
  return join(dirname(createRequire(import.meta.url).resolve(name)), "..");
}

async function protocolVersion(): Promise<string> {
  const pkg = JSON.parse(
    await readFile(join(packageDir("@dockflow/protocol"), "package.json"), "utf8"),
  );
  return pkg.version as string;
}

/**
 * The master's OpenAPI document as its own `generate` script writes it from its routes
 * (apps/master/generated/openapi.json). `pnpm generate` runs that script first (turbo: the SDK's
 * `generate` depends on `^generate`, @dockflow/master being a devDependency), and so does
 * `pnpm typecheck`; when the file is missing (a fresh clone), it is run here.
 */
export const MASTER_OPENAPI = "generated/openapi.json";
async function masterOpenApi(): Promise<unknown> {
  const dir = packageDir("@dockflow/master");
  const path = join(dir, MASTER_OPENAPI);
  let text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) {
    await promisify(execFile)("pnpm", ["run", "--silent", "generate"], { cwd: dir });
    text = await readFile(path, "utf8");
  }
  return JSON.parse(text);
}

/** Everything `pnpm generate` writes, computed in memory (the staleness test compares it). */
export async function generateAll(): Promise<GeneratedFile[]> {
  const asyncapi = buildAsyncApi({ version: await protocolVersion() });
  const openapi = await masterOpenApi();
  return [
    { path: "generated/asyncapi.json", content: json(asyncapi) },
    { path: "src/generated/flow-events.ts", content: flowEventsTs(asyncapi) },
    { path: "generated/openapi.json", content: json(openapi) },
    { path: "src/generated/master-api.ts", content: await masterApiTs(openapi) },
  ];
}
