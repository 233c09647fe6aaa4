import fc from "fast-check";

/**
 * Generators of hostile input for the master's routes: malformed JSON values, mutations of valid
 * payloads (missing fields, wrong types, huge strings and arrays, deep nesting), prototype
 * pollution keys, invalid UTF-8 and label values that try to inject into ingress rules or DNS.
 */

/** Strings that break parsers, shells, YAML, regexes and logs. */
export const NASTY_STRINGS = [
  "",
  " ",
  "\n",
  "\u0000",
  "../../etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "/etc/shadow",
  "__proto__",
  "constructor",
  "prototype",
  "\u202E\u200B",
  "'; DROP TABLE agents; --",
  "\r\n\r\nHTTP/1.1 200 OK",
  "{{7*7}}",
  "$(id)",
  "😀".repeat(70),
  "ä".repeat(300),
  "x".repeat(100_000),
];

/** A JSON value of bounded size (including deep structures). */
export const jsonValue = fc.jsonValue({ maxDepth: 4 });

/** Arrays nested `depth` times: `[[[...]]]`. */
export function deepArray(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** Objects nested `depth` times: `{"a":{"a":...}}`. */
export function deepObject(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** Any value of a wrong type for a field (or a huge / nasty one). */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }),
  fc.constant(Array.from({ length: 20_000 }, (_, i) => i)),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
  fc.integer({ min: 50, max: 3000 }).map((d) => JSON.parse(deepObject(Math.min(d, 500)))),
);

type Json = Record<string, unknown>;

/** Dotted paths of every field of a value (objects only). */
export function fieldPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  const paths: string[][] = [];
  for (const [key, child] of Object.entries(value)) {
    paths.push([...prefix, key]);
    paths.push(...fieldPaths(child, [...prefix, key]));
  }
  return paths;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function setAt(target: Json, path: string[], value: unknown, remove: boolean): Json {
  const copy = clone(target);
  let node: Json = copy;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    // An earlier mutation replaced a parent by a non-object: nothing left to change below it.
    if (child === null || typeof child !== "object") return copy;
    node = child as Json;
  }
  const last = path[path.length - 1];
  if (last === undefined) return copy;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

/** Mutations of a valid payload: a field removed, or replaced by a wrong value. */
export function mutationsOf(valid: Json): fc.Arbitrary<unknown> {
  const paths = fieldPaths(valid);
  if (paths.length === 0) return fc.constant(valid);
  return fc.oneof(
    fc.constantFrom(...paths).map((path) => setAt(valid, path, undefined, true)),
    fc
      .tuple(fc.constantFrom(...paths), wrongValue)
      .map(([path, value]) => setAt(valid, path, value, false)),
    fc
      .tuple(fc.constantFrom(...paths), fc.constantFrom(...paths), wrongValue)
      .map(([a, b, value]) => setAt(setAt(valid, a, value, false), b, undefined, true)),
  );
}

/** A raw request body: malformed JSON text, or a JSON value / mutation serialised. */
export function hostileBody(valid: Json): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: mutationsOf(valid).map((v) => JSON.stringify(v) ?? "") },
    { weight: 2, arbitrary: jsonValue.map((v) => JSON.stringify(v)) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.string({ maxLength: 60 }), fc.nat()).map(([junk, at]) => {
        const text = JSON.stringify(valid);
        const cut = at % (text.length + 1);
        return `${text.slice(0, cut)}${junk}`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "{",
        "null",
        "[]",
        '"x"',
        "{'a':1}",
        '{"a":1,}',
        "NaN",
        "\u0000",
        deepArray(100_000),
        deepObject(50_000),
      ),
    },
    { weight: 1, arbitrary: invalidUtf8Body(valid) },
  );
}

/** A payload's JSON text with bytes that are not UTF-8 (lone continuation, overlong, 0xFF). */
export function invalidUtf8Body(valid: Json): fc.Arbitrary<Uint8Array> {
  const bad = fc.constantFrom(
    [0xff],
    [0xfe, 0xff],
    [0xc0, 0xaf],
    [0xe0, 0x80, 0xaf],
    [0xed, 0xa0, 0x80],
    [0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  );
  return fc.tuple(bad, fc.nat()).map(([bytes, at]) => {
    const text = Buffer.from(JSON.stringify(valid), "utf8");
    const cut = at % (text.length + 1);
    return new Uint8Array(
      Buffer.concat([text.subarray(0, cut), Buffer.from(bytes), text.subarray(cut)]),
    );
  });
}

/** The JSON text of a valid payload with prototype-pollution keys added at the top and inside. */
export const pollutionKeys = fc.constantFrom(
  '"__proto__":{"polluted":"yes","isAdmin":true}',
  '"constructor":{"prototype":{"polluted":"yes"}}',
  '"prototype":{"polluted":"yes"}',
  '"__proto__":null',
  '"toString":"x","valueOf":1,"hasOwnProperty":"x"',
);

export function withPollution(valid: Json): fc.Arbitrary<string> {
  return fc.tuple(pollutionKeys, fc.boolean()).map(([keys, inside]) => {
    const text = JSON.stringify(valid);
    if (inside) {
      // Into the first nested object, if any.
      const at = text.indexOf("{", 1);
      if (at > 0) return `${text.slice(0, at + 1)}${keys},${text.slice(at + 1)}`;
    }
    return `{${keys},${text.slice(1)}`;
  });
}

/** Path segments that try traversal, encoding tricks and odd characters. */
export const hostilePathSegment = fc.oneof(
  fc.constantFrom(
    "..",
    "%2e%2e",
    "..%2f..%2fkeys",
    "%2e%2e%2fkeys",
    "a%00b",
    "%ff%fe",
    "agent%0aX-Injected:1",
    "%20",
    "x".repeat(5000),
    "__proto__",
    "constructor",
    "*",
    "%2a",
    "agent;rm",
  ),
  fc.string({ minLength: 1, maxLength: 40 }).map((s) => encodeURIComponent(s)),
);

/** Label values that try to break out of an ingress rule or a DNS name. */
export const INJECTIONS = [
  "\n",
  "\r\n",
  "\u0000",
  "\t",
  " ",
  '"',
  "'",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  ": ",
  "\n- hostname: evil.example.com\n  service: http://evil:80",
  '","hostname":"evil.example.com',
  "\n  service: http_status:200",
  ":8080",
  ":0",
  ":99999",
  "/path",
  "/../../etc",
  "?q=1",
  "#frag",
  "@evil.example.com",
  ".evil.example.com",
  "..",
  "*",
  ".*",
  "*.",
  "-",
  "_",
  "%0a",
  "\\",
  "ü",
  "\u0430",
  "\u202E",
  "\u200B",
  "\uFF0E",
  "ｅｖｉｌ",
  "xn--",
  "x".repeat(64),
  `${"a".repeat(60)}.`.repeat(5),
];

/** A hostname label value: a clean base, with an injection put somewhere in it (or not). */
export const hostileHostname = fc
  .tuple(
    fc.constantFrom("app", "api", "www", "*", "shop"),
    fc.constantFrom("example.com", "example.org", "EXAMPLE.com", "example.net"),
    fc.option(fc.constantFrom(...INJECTIONS), { freq: 4 }),
    fc.constantFrom("prefix", "middle", "suffix", "zone"),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(([first, zone, injection, where, n]) => {
    const head = first === "*" ? "*" : `${first}${n}`;
    if (injection === null) return `${head}.${zone}`;
    switch (where) {
      case "prefix":
        return `${injection}${head}.${zone}`;
      case "middle":
        return `${head}${injection}.${zone}`;
      case "zone":
        return `${head}.${zone.replace(".", `${injection}.`)}`;
      default:
        return `${head}.${zone}${injection}`;
    }
  });

/** A value for a port, service, path or zonename label: clean or with an injection. */
export const hostileLabelValue = (clean: string[]) =>
  fc.oneof(
    // Mostly clean, so that the other labels of a rule get their chance to inject.
    { weight: 6, arbitrary: fc.constantFrom(...clean) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...clean), fc.constantFrom(...INJECTIONS), fc.boolean())
        .map(([value, injection, before]) =>
          before ? `${injection}${value}` : `${value}${injection}`,
        ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  );

/**
 * Independent check of a public hostname as it may appear in ingress or DNS: lowercase LDH labels
 * of 1 to 63 characters, `*` only as the whole first label, at least two labels, no port.
 */
export function isCleanHostname(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (labels.length < 2) return false;
  return labels.every(
    (label, i) => (label === "*" && i === 0) || /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label),
  );
}

/** Independent check of an origin service as written into ingress. */
export function isCleanService(service: string): boolean {
  return (
    /^http_status:[1-5]\d\d$/.test(service) ||
    service === "hello_world" ||
    /^(https?|wss?|tcp|ssh|rdp|smb):\/\/[a-zA-Z0-9][a-zA-Z0-9.-]*(:\d{1,5})?$/.test(service)
  );
}
