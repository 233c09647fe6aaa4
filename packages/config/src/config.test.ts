import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  boolean,
  int,
  isPlaceholder,
  json,
  keyValueList,
  list,
  logLevel,
  optionalString,
  port,
  secret,
} from "./fields.ts";
import { ConfigError, parseEnv } from "./parse-env.ts";

/** Parses one variable with `field`, or returns the ConfigError. */
function one(field: z.ZodType, value: string | undefined): unknown {
  try {
    return parseEnv("test", z.object({ V: field }), { V: value });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

describe("parseEnv", () => {
  const Schema = z.object({
    PORT: port().default(8000),
    TOKEN: z.string().min(16),
    LOG_LEVEL: logLevel(),
  });

  it("applies defaults, and treats an empty variable as not set", () => {
    expect(parseEnv("svc", Schema, { TOKEN: "0123456789abcdef", PORT: "", LOG_LEVEL: "" })).toEqual(
      {
        PORT: 8000,
        TOKEN: "0123456789abcdef",
        LOG_LEVEL: "info",
      },
    );
  });

  it("names every wrong variable with its problem, never its value", () => {
    let error: unknown;
    try {
      parseEnv("svc", Schema, { TOKEN: "short-secret", PORT: "70000", LOG_LEVEL: "loud" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const config = error as ConfigError;
    expect(config.service).toBe("svc");
    expect(config.problems.map((p) => p.variable)).toEqual(["PORT", "TOKEN", "LOG_LEVEL"]);
    expect(config.message).toMatch(/^invalid svc configuration: PORT: .*; TOKEN: .*; LOG_LEVEL: /);
    for (const value of ["short-secret", "70000", "loud"])
      expect(config.message).not.toContain(value);
  });

  it("reports a problem without a variable as the environment's", () => {
    const Both = z
      .object({ A: optionalString(), B: optionalString() })
      .refine((e) => (e.A === undefined) === (e.B === undefined), "set both A and B, or neither");
    expect(() => parseEnv("svc", Both, { A: "x" })).toThrow(
      "invalid svc configuration: environment: set both A and B, or neither",
    );
  });
});

describe("fields", () => {
  it("optionalString trims and reads blank as absent", () => {
    expect(one(optionalString(), "  value ")).toEqual({ V: "value" });
    expect(one(optionalString(), "   ")).toEqual({ V: undefined });
    expect(one(optionalString(), undefined)).toEqual({ V: undefined });
  });

  it("logLevel accepts pino's levels only", () => {
    expect(one(logLevel(), "debug")).toEqual({ V: "debug" });
    expect(one(logLevel(), "verbose")).toBeInstanceOf(ConfigError);
  });

  it("int and port coerce whole numbers within bounds", () => {
    expect(one(int(1), "25")).toEqual({ V: 25 });
    expect(one(int(1), "0")).toBeInstanceOf(ConfigError);
    expect(one(int(1, 10), "11")).toBeInstanceOf(ConfigError);
    expect(one(int(1), "1.5")).toBeInstanceOf(ConfigError);
    expect(one(port(), "0")).toEqual({ V: 0 });
    expect(one(port(), "65535")).toEqual({ V: 65535 });
    expect(one(port(), "65536")).toBeInstanceOf(ConfigError);
    expect(one(port(), "http")).toBeInstanceOf(ConfigError);
  });

  it("boolean reads true/false, 1/0 and yes/no in any case, and the fallback when unset", () => {
    const read = (v: string | undefined) => one(boolean(false), v);
    expect(["true", "1", "YES", " yes "].map(read)).toEqual(Array(4).fill({ V: true }));
    expect(["false", "0", "No"].map(read)).toEqual(Array(3).fill({ V: false }));
    expect(read(undefined)).toEqual({ V: false });
    expect(one(boolean(true), undefined)).toEqual({ V: true });
    const error = read("maybe");
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "invalid test configuration: V: must be true or false (or 1/0, yes/no)",
    );
  });

  it("list splits, trims and drops empty items, on commas or the given separators", () => {
    expect(one(list(), " a, b ,,c ")).toEqual({ V: ["a", "b", "c"] });
    expect(one(list(/[:,]/), "/a:/b,/c")).toEqual({ V: ["/a", "/b", "/c"] });
    expect(one(list(), undefined)).toEqual({ V: [] });
  });

  it("json reads a document its schema accepts, and names the bad path but never a value", () => {
    const field = json(z.array(z.object({ secret: z.string().min(4) })));
    expect(one(field, '[{"secret":"abcd"}]')).toEqual({ V: [{ secret: "abcd" }] });
    expect(one(field, " ")).toEqual({ V: undefined });
    expect((one(field, "[{") as ConfigError).message).toBe(
      "invalid test configuration: V: is not valid JSON",
    );
    const error = one(field, '[{"secret":"abc"}]') as ConfigError;
    expect(error.message).toMatch(/^invalid test configuration: V: .* at 0\.secret$/);
    expect(error.message).not.toContain('"abc"');
  });

  it("keyValueList reads k=v pairs, bare keys as empty values, and refuses an empty key", () => {
    expect(one(keyValueList(), " a = 1, b ,, c=x=y")).toEqual({ V: { a: "1", b: "", c: "x=y" } });
    expect(one(keyValueList(), undefined)).toEqual({ V: {} });
    const error = one(keyValueList(), "a=1,=2");
    expect((error as ConfigError).message).toBe(
      "invalid test configuration: V: item 2 has no key (key=value)",
    );
  });

  it("keyValueList with json reads a JSON object of strings, and refuses anything else", () => {
    expect(one(keyValueList({ json: true }), '{"a.b":"1"}')).toEqual({ V: { "a.b": "1" } });
    expect(one(keyValueList({ json: true }), "a=1")).toEqual({ V: { a: "1" } });
    for (const bad of ['{"a":1}', "{not json"]) {
      expect((one(keyValueList({ json: true }), bad) as ConfigError).message).toBe(
        "invalid test configuration: V: must be a JSON object of strings",
      );
    }
    // Without json, a brace is just part of a key.
    expect(one(keyValueList(), "{x}=1")).toEqual({ V: { "{x}": "1" } });
  });

  it("secret refuses placeholders and short values, naming the problem but never the value", () => {
    expect(one(secret(16), "a-real-secret-of-24-char")).toEqual({ V: "a-real-secret-of-24-char" });
    for (const placeholder of ["change-me-flow-manager-token", "CHANGE-ME", "  change-me-x"]) {
      const error = one(secret(8), placeholder) as ConfigError;
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.problems).toEqual([
        {
          variable: "V",
          message: "is a placeholder (it starts with change-me): set a real secret",
        },
      ]);
      expect(error.message).not.toContain(placeholder.trim());
    }
    const short = one(secret(16), "fifteen-chars-x") as ConfigError;
    expect(short.problems).toEqual([{ variable: "V", message: "must be at least 16 characters" }]);
    expect(short.message).not.toContain("fifteen-chars-x");
    // Exactly the minimum is enough; "change" alone or "me-change" is no placeholder.
    expect(one(secret(16), "sixteen-chars-ok")).toEqual({ V: "sixteen-chars-ok" });
    expect(isPlaceholder("changeme-later")).toBe(false);
    expect(isPlaceholder("me-change-me")).toBe(false);
    expect(isPlaceholder("Change-Me-now")).toBe(true);
  });
});
