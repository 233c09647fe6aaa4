import { stat } from "node:fs/promises";
import { createRequire, register } from "node:module";
import { join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { hashFiles } from "./files.ts";
import { type Handler, type HandlerTable, RESERVED_PREFIX } from "./handlers.ts";
import { nativeImport } from "./native-import.mjs";

/** Entry files looked for in the code folder, first match wins. */
export const ENTRY_FILES = ["index.mjs", "index.js", "index.cjs"] as const;

/** The version reported while the built-in demo handlers are active. */
export const BUILTIN_VERSION = "builtin";

export interface LoadedCode {
  /** `user`: handlers from the code folder; `builtin`: the demo handlers (no entry file). */
  source: "user" | "builtin";
  /** Absolute path of the entry file, when `source` is `user`. */
  entry: string | null;
  /** A content hash of the code folder, or `builtin`. */
  version: string;
  handlers: HandlerTable;
  /** Exported functions that were skipped because their name is reserved (`flow.*`). */
  ignored: string[];
}

/** Why the code could not be loaded (its import threw, or it exports no usable handlers). */
export class CodeLoadError extends Error {
  override readonly name = "CodeLoadError";
  constructor(
    message: string,
    readonly version: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The first entry file present in `codeDir`, or null. */
export async function findEntry(codeDir: string): Promise<string | null> {
  for (const name of ENTRY_FILES) {
    const path = join(codeDir, name);
    const info = await stat(path).catch(() => null);
    if (info?.isFile()) return path;
  }
  return null;
}

const VERSION_PARAM = "flow_v";

/**
 * A resolve hook that passes the `flow_v` query of an importing module on to the file modules it
 * imports, so that re-importing the entry with a new `flow_v` re-evaluates the whole module graph
 * (the folder may have been replaced), not just the entry file.
 */
const VERSION_HOOK = `
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (!parent || !parent.startsWith("file:") || !result.url.startsWith("file:")) return result;
  const version = new URL(parent).searchParams.get(${JSON.stringify(VERSION_PARAM)});
  if (version === null) return result;
  const url = new URL(result.url);
  if (url.searchParams.has(${JSON.stringify(VERSION_PARAM)})) return result;
  url.searchParams.set(${JSON.stringify(VERSION_PARAM)}, version);
  return { ...result, url: url.href };
}
`;

const HOOK_FLAG = Symbol.for("dockflow.flow-runtime.version-hook");

function ensureVersionHook(): void {
  const global = globalThis as { [HOOK_FLAG]?: boolean };
  if (global[HOOK_FLAG]) return;
  register(`data:text/javascript,${encodeURIComponent(VERSION_HOOK)}`);
  global[HOOK_FLAG] = true;
}

/** CommonJS modules are cached by file name whatever the query: forget those under `dir`. */
function forgetCommonJs(dir: string): void {
  const cache = createRequire(import.meta.url).cache;
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  for (const key of Object.keys(cache)) {
    if (key.startsWith(prefix)) delete cache[key];
  }
}

let generation = 0;

/** Turns a module namespace into a handler table (see the module format in the docs). */
export function handlersFrom(namespace: Record<string, unknown>): {
  handlers: Map<string, Handler>;
  ignored: string[];
} {
  const handlers = new Map<string, Handler>();
  const ignored: string[] = [];
  const add = (name: string, value: unknown, self: unknown): void => {
    if (typeof value !== "function" || handlers.has(name)) return;
    if (name.startsWith(RESERVED_PREFIX)) {
      ignored.push(name);
      return;
    }
    handlers.set(name, (value as (...args: unknown[]) => unknown).bind(self) as Handler);
  };
  const fallback = namespace.default;
  if (typeof fallback === "function") {
    throw new TypeError(
      "the default export is a function: export one function per command, or a default object of handlers",
    );
  }
  if (typeof fallback === "object" && fallback !== null) {
    for (const [name, value] of Object.entries(fallback)) add(name, value, fallback);
  }
  for (const [name, value] of Object.entries(namespace)) {
    if (name !== "default") add(name, value, undefined);
  }
  return { handlers, ignored };
}

/**
 * Loads the code in `codeDir`: the demo handlers when it holds no entry file, else a fresh import
 * of the entry (and of everything it imports). Throws CodeLoadError when that fails.
 */
export async function loadCode(codeDir: string, builtin: () => HandlerTable): Promise<LoadedCode> {
  const dir = resolve(codeDir);
  const entry = await findEntry(dir);
  if (entry === null) {
    return {
      source: "builtin",
      entry: null,
      version: BUILTIN_VERSION,
      handlers: builtin(),
      ignored: [],
    };
  }
  const version = await hashFiles(dir);
  let namespace: Record<string, unknown>;
  try {
    ensureVersionHook();
    forgetCommonJs(dir);
    const url = pathToFileURL(entry);
    url.searchParams.set(VERSION_PARAM, String(++generation));
    namespace = await nativeImport(url.href);
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new CodeLoadError(`loading ${entry} failed: ${detail}`, version, { cause: error });
  }
  let table: ReturnType<typeof handlersFrom>;
  try {
    table = handlersFrom(namespace);
  } catch (error) {
    throw new CodeLoadError(`${entry}: ${(error as Error).message}`, version, { cause: error });
  }
  if (table.handlers.size === 0) {
    throw new CodeLoadError(`${entry} exports no handler functions`, version);
  }
  return { source: "user", entry, version, ...table };
}
