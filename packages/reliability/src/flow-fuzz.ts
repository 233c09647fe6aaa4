import { realpathSync, statSync } from "node:fs";
import { relative } from "node:path";
import { type ClientEventName, clientEvents } from "@dockflow/protocol";
import fc from "fast-check";

/**
 * Generators of malformed flow manager requests, and the oracle saying which error each must get.
 * Every generated request is built from a valid one by one or more mutations, so the cases stay
 * close enough to the schema to reach deep into validation.
 */

export type Expected = "validation_error" | "container_not_found" | "ok";

export interface FuzzTarget {
  /** A managed container (created, never started): the only one update_container paths reach. */
  managedId: string;
  managedName: string;
  /** The allowed root, and paths around it for traversal cases. */
  root: string;
  /** A directory inside the root, and a symlink inside the root pointing outside it. */
  insideDir: string;
  escapeLink: string;
  maxPayloadBytes: number;
}

/** Keys that attack prototype chains when a server copies objects naively. */
export const POLLUTION_KEYS = ["__proto__", "constructor", "prototype"];

/** Strings that are not what UTF-8 JSON should carry: lone surrogates, NUL, noncharacters. */
const nastyStrings = fc.constantFrom(
  "\uD800",
  "\uDFFF",
  "a\uD83Db",
  "\u0000",
  "\uFFFE\uFFFF",
  "\u202E\u200B",
  "%00",
  `$${"{"}jndi:ldap://x}`,
  "'; DROP TABLE x; --",
  "\r\n\r\nHTTP/1.1 200 OK",
);

/** Path-like strings that try to leave the allowed root. */
export function escapingPaths(t: FuzzTarget): fc.Arbitrary<string> {
  const segment = fc.constantFrom("..", ".", "", "inside", "escape", "etc", "%2e%2e", "..%2f");
  const tail = fc.array(segment, { minLength: 0, maxLength: 6 }).map((s) => s.join("/"));
  return fc.oneof(
    fc.constantFrom(
      "/",
      "/etc",
      "/etc/passwd",
      "/proc/self/root",
      "/var/run/docker.sock",
      `${t.root}/..`,
      `${t.root}/../..`,
      `${t.root}/inside/../../etc`,
      `${t.root}-sibling`,
      `${t.root}/escape`,
      `${t.root}/escape/`,
      `${t.root}/escape/..`,
      `${t.root}//..//`,
      `${t.root}/./../${t.root.split("/").pop()}-x`,
      "relative/path",
      "../../etc",
      "~/x",
      `${t.root}\u0000/inside`,
    ),
    tail.map((s) => `${t.root}/${s}`),
    tail.map((s) => `/${s}`),
    tail.map((s) => `${t.escapeLink}/${s}`),
  );
}

/** Whether a host path is an existing path under the root, as the path guard must decide. */
export function insideRoot(path: string, root: string, kind: "dir" | "any"): boolean {
  if (!path.startsWith("/") || path.includes("\0")) return false;
  try {
    const real = realpathSync(path);
    const rel = relative(realpathSync(root), real);
    if (rel.startsWith("..") || rel.startsWith("/")) return false;
    return kind === "any" || statSync(real).isDirectory();
  } catch {
    return false;
  }
}

/** Container refs that exist nowhere (never hex, so never a prefix of a real id). */
const missingRef = fc
  .stringMatching(/^[a-z][a-z0-9_.-]{0,40}$/)
  .map((s) => `nx-${s}`.slice(0, 128));

function validBase(op: ClientEventName, t: FuzzTarget): Record<string, unknown> {
  switch (op) {
    case "create_container":
      return { image: "flow:latest", name: "rel-fuzz-never", volumes: { "/etc": "/x" } };
    case "update_container":
      return { container_id: t.managedId, code_path: "/etc" };
    case "send_message":
      return { container_id: "nx-target", message: { command: "echo", data: { a: 1 } } };
    case "list_containers":
      return { all: true };
    case "get_activity_log":
      return { limit: 10 };
    case "stop_container":
    case "restart_container":
      return { container_id: "nx-target", timeout: 1 };
    case "delete_container":
      return { container_id: "nx-target", force: true };
    case "exec_input":
      return { session_id: "nx-session", data: "ls\n" };
    case "exec_resize":
      return { session_id: "nx-session", cols: 80, rows: 24 };
    case "exec_close":
      return { session_id: "nx-session" };
    default:
      return { container_id: "nx-target" };
  }
}

/** The fields each request knows (extra keys must be refused). */
function fieldsOf(op: ClientEventName): string[] {
  const schema = clientEvents[op] as unknown as { shape: Record<string, unknown> };
  return Object.keys(schema.shape);
}

function deep(depth: number, leaf: unknown, asArray: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { d: v };
  return v;
}

/** Any JSON-ish value, including the nasty ones. */
const wild: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ maxDepth: 3 }) },
  { weight: 1, arbitrary: nastyStrings },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -0, 2 ** 63, -1, 1e308) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => "x".repeat(n)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => Array.from({ length: n }, () => 1)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 50, max: 2000 }), fc.boolean())
      .map(([d, a]) => deep(d, "leaf", a)),
  },
);

type Mutation = (payload: Record<string, unknown>) => void;

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** One mutation of a request; several are applied in a row. */
function mutation(op: ClientEventName, t: FuzzTarget): fc.Arbitrary<Mutation> {
  const fields = fieldsOf(op);
  const field = fc.constantFrom(...fields);
  const muts: fc.Arbitrary<Mutation>[] = [
    // a field removed (required ones make it invalid)
    field.map((f) => (p) => {
      delete p[f];
    }),
    // a field replaced by anything (wrong types, huge strings/arrays, deep nesting, nasty text)
    fc.tuple(field, wild).map(
      ([f, v]) =>
        (p) =>
          setOwn(p, f, v),
    ),
    // an extra field, including prototype-pollution keys
    fc
      .tuple(
        fc.oneof(fc.constantFrom(...POLLUTION_KEYS, "privileged", "Binds"), fc.string()),
        fc.oneof(wild, fc.constant({ polluted: "yes" })),
      )
      .filter(([k]) => !fields.includes(k))
      .map(
        ([k, v]) =>
          (p) =>
            setOwn(p, k, v),
      ),
  ];
  if (op === "create_container") {
    muts.push(
      // host paths that leave the root, as volume keys; container paths that are reserved
      fc
        .tuple(
          escapingPaths(t),
          fc.constantFrom("/data", "/run/flow", "/", "/data:ro", "/../../x", "/run/flow/../flow"),
        )
        .map(([host, target]) => (p) => {
          p.volumes = { [host]: target };
        }),
      fc
        .constantFrom("dockflow.flow.managed", "dockflow.flow.manager", "dockflow.flow.socket_dir")
        .map((k) => (p) => {
          p.labels = { [k]: "false" };
        }),
      fc
        .tuple(
          fc.constantFrom("environment", "labels", "ports", "volumes"),
          fc.constantFrom(...POLLUTION_KEYS),
        )
        .map(([f, k]) => (p) => {
          const obj: Record<string, unknown> = {};
          setOwn(obj, k, { polluted: "yes" });
          p[f] = obj;
        }),
    );
  }
  if (op === "update_container") {
    muts.push(
      escapingPaths(t).map((path) => (p) => {
        p.code_path = path;
      }),
      fc.constantFrom(t.managedId, t.managedName, "nx-missing").map((ref) => (p) => {
        p.container_id = ref;
      }),
    );
  }
  if ("container_id" in validBase(op, t) && op !== "update_container") {
    muts.push(
      fc
        .oneof(missingRef, fc.constantFrom("../etc", "/etc/passwd", "..", "%2e%2e", "a/../b"))
        .map((ref) => (p) => {
          p.container_id = ref;
        }),
    );
  }
  if (op === "send_message") {
    muts.push(
      fc
        .tuple(fc.integer({ min: 1000, max: 200_000 }), fc.boolean())
        .map(([n, asString]) => (p) => {
          p.message = {
            command: "echo",
            data: asString ? "y".repeat(n) : Array.from({ length: n / 10 }, (_, i) => i),
          };
        }),
      wild.map((v) => (p) => {
        p.message = v;
      }),
      fc.tuple(fc.constantFrom("command", "data"), wild).map(([k, v]) => (p) => {
        p.message = { command: "echo", [k]: v };
      }),
    );
  }
  return fc.oneof(...muts);
}

/** Requests for `op` that are never valid enough to change anything. */
export function malformedRequest(op: ClientEventName, t: FuzzTarget): fc.Arbitrary<unknown> {
  const notAnObject = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }),
    nastyStrings,
  );
  const mutated = fc.array(mutation(op, t), { minLength: 1, maxLength: 3 }).map((muts) => {
    const p = structuredClone(validBase(op, t));
    for (const m of muts) m(p);
    return p;
  });
  return fc.oneof({ weight: 1, arbitrary: notAnObject }, { weight: 6, arbitrary: mutated });
}

/** What the server sees: the JSON round trip of what the client sent. */
function onTheWire(payload: unknown): unknown {
  if (payload === undefined) return {};
  return JSON.parse(JSON.stringify(payload)) as unknown;
}

function hasOwnPollutionKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  for (const key of Object.keys(value)) {
    if (POLLUTION_KEYS.includes(key)) return true;
  }
  return false;
}

/** The answer the documented behaviour requires, or "skip" for a request that could act. */
export function expectedOutcome(
  op: ClientEventName,
  payload: unknown,
  t: FuzzTarget,
): Expected | "skip" {
  const wire = onTheWire(payload);
  if (Buffer.byteLength(JSON.stringify(wire), "utf8") > t.maxPayloadBytes)
    return "validation_error";
  // An own __proto__/constructor/prototype key at the top level is an unknown field.
  if (hasOwnPollutionKey(wire)) return "validation_error";
  const parsed = clientEvents[op].safeParse(wire);
  if (!parsed.success) return "validation_error";
  const req = parsed.data as Record<string, unknown>;
  const ref = req.container_id as string | undefined;
  const isManaged =
    ref !== undefined &&
    (ref === t.managedName || (/^[0-9a-f]+$/.test(ref) && t.managedId.startsWith(ref)));
  switch (op) {
    case "create_container": {
      const volumes = (req.volumes ?? {}) as Record<string, string>;
      const labels = (req.labels ?? {}) as Record<string, string>;
      const badVolume = Object.keys(volumes).some((host) => !insideRoot(host, t.root, "any"));
      const reserved = Object.entries(volumes).some(([, target]) => {
        const path = target.replace(/:(ro|rw)$/, "");
        return path === "/run/flow" || path === "/";
      });
      const reservedLabel = Object.keys(labels).some((k) => k.startsWith("dockflow.flow."));
      return badVolume || reserved || reservedLabel ? "validation_error" : "skip";
    }
    case "update_container":
      if (!isManaged) return "container_not_found";
      return insideRoot(req.code_path as string, t.root, "dir") ? "skip" : "validation_error";
    case "list_containers":
    case "get_activity_log":
      return "ok";
    // Exec is off in the fuzzed manager (FLOW_EXEC_ENABLED unset): always a validation_error.
    case "exec_start":
    case "exec_input":
    case "exec_resize":
    case "exec_close":
      return "validation_error";
    default:
      return isManaged ? "skip" : "container_not_found";
  }
}
