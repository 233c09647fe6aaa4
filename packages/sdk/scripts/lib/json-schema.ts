/**
 * A small JSON Schema (draft-07, as zod 4's `z.toJSONSchema` writes it) to TypeScript emitter: the
 * subset the protocol's schemas use (objects, records, arrays, enums, consts, unions, nulls, refs
 * to `#/components/schemas/*`). Anything else fails loudly rather than turning into `any`.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  description?: string;
  [keyword: string]: unknown;
}

export const SCHEMA_REF_PREFIX = "#/components/schemas/";

/** Keywords that only constrain values: they change nothing in the TypeScript type. */
const CONSTRAINTS = new Set([
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "contentEncoding",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "default",
  "description",
  "title",
  "examples",
  "readOnly",
  "writeOnly",
  "propertyNames",
]);
const HANDLED = new Set([
  "$ref",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "allOf",
]);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function key(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

function literal(value: unknown): string {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
    return JSON.stringify(value);
  }
  throw new Error(`cannot write ${JSON.stringify(value)} as a TypeScript literal type`);
}

/** A type's text and how tightly it binds: 0 union, 1 intersection, 2 anything else. */
interface Ts {
  text: string;
  prec: 0 | 1 | 2;
}

const atom = (text: string): Ts => ({ text, prec: 2 });

function paren(t: Ts, min: 1 | 2): string {
  return t.prec < min ? `(${t.text})` : t.text;
}

function union(parts: Ts[]): Ts {
  const texts = [...new Set(parts.map((p) => p.text))];
  if (texts.includes("unknown")) return atom("unknown");
  if (texts.length === 1) return parts.find((p) => p.text === texts[0])!;
  return {
    text: parts
      .filter((p, i) => texts.indexOf(p.text) === i)
      .map((p) => paren(p, 1))
      .join(" | "),
    prec: 0,
  };
}

function intersection(parts: Ts[]): Ts {
  const unique = parts.filter((p, i) => parts.findIndex((q) => q.text === p.text) === i);
  if (unique.length === 1) return unique[0]!;
  return { text: unique.map((p) => paren(p, 2)).join(" & "), prec: 1 };
}

function indent(text: string, by: string): string {
  return text.replaceAll("\n", `\n${by}`);
}

function comment(text: string | undefined, pad: string): string {
  if (!text) return "";
  const lines = text.split("\n");
  if (lines.length === 1) return `${pad}/** ${text.replaceAll("*/", "*\\/")} */\n`;
  return `${pad}/**\n${lines.map((l) => `${pad} * ${l.replaceAll("*/", "*\\/")}`).join("\n")}\n${pad} */\n`;
}

export class SchemaEmitter {
  /** `#/components/schemas/X` becomes `X`, which the caller must declare. */
  constructor(private readonly refName: (ref: string) => string = defaultRefName) {}

  /** The TypeScript type of `schema`, possibly spanning several lines (two-space indented). */
  type(schema: JsonSchema | boolean): string {
    return this.emit(schema).text;
  }

  private emit(schema: JsonSchema | boolean): Ts {
    if (schema === true) return atom("unknown");
    if (schema === false) return atom("never");
    for (const keyword of Object.keys(schema)) {
      if (!HANDLED.has(keyword) && !CONSTRAINTS.has(keyword)) {
        throw new Error(
          `unsupported JSON Schema keyword "${keyword}" in ${JSON.stringify(schema)}`,
        );
      }
    }
    const parts: Ts[] = [];
    if (schema.$ref !== undefined) parts.push(atom(this.refName(schema.$ref)));
    if (schema.const !== undefined) parts.push(atom(literal(schema.const)));
    else if (schema.enum !== undefined) parts.push(union(schema.enum.map((v) => atom(literal(v)))));
    else if (schema.type !== undefined) parts.push(this.typed(schema));
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives !== undefined) parts.push(union(alternatives.map((s) => this.emit(s))));
    // allOf members that only restate the type (`{type: "string", pattern}`) collapse here.
    for (const member of schema.allOf ?? []) parts.push(this.emit(member));
    if (parts.length === 0) return atom("unknown");
    return intersection(parts);
  }

  private typed(schema: JsonSchema): Ts {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type!];
    return union(types.map((t) => this.ofType(t, schema)));
  }

  private ofType(type: string, schema: JsonSchema): Ts {
    switch (type) {
      case "string":
      case "boolean":
      case "null":
        return atom(type);
      case "number":
      case "integer":
        return atom("number");
      case "array":
        return atom(
          `${paren(schema.items === undefined ? atom("unknown") : this.emit(schema.items), 2)}[]`,
        );
      case "object":
        return atom(this.object(schema));
      default:
        throw new Error(`unsupported JSON Schema type "${type}"`);
    }
  }

  private object(schema: JsonSchema): string {
    const properties = Object.entries(schema.properties ?? {});
    const extra = schema.additionalProperties;
    const extraType =
      extra === undefined || extra === false ? undefined : this.type(extra === true ? {} : extra);
    if (properties.length === 0) {
      if (extra === false) return "Record<string, never>";
      return `Record<string, ${extraType ?? "unknown"}>`;
    }
    const required = new Set(schema.required ?? []);
    const lines = properties.map(([name, prop]) => {
      const doc = comment(typeof prop === "object" ? prop.description : undefined, "  ");
      const optional = required.has(name) ? "" : "?";
      return `${doc}  ${key(name)}${optional}: ${indent(this.type(prop), "  ")};`;
    });
    // Named properties must fit the index signature, so extra keys are `unknown` when mixed.
    if (extraType !== undefined) lines.push("  [key: string]: unknown;");
    return `{\n${lines.join("\n")}\n}`;
  }

  /** `export interface Name {...}` for plain objects, else `export type Name = ...;`. */
  declaration(name: string, schema: JsonSchema): string {
    const doc = comment(schema.description, "");
    const type = this.emit(schema);
    if (type.prec === 2 && type.text.startsWith("{\n")) {
      return `${doc}export interface ${name} ${type.text}\n`;
    }
    return `${doc}export type ${name} = ${type.text};\n`;
  }
}

function defaultRefName(ref: string): string {
  if (!ref.startsWith(SCHEMA_REF_PREFIX)) throw new Error(`unsupported $ref "${ref}"`);
  return ref.slice(SCHEMA_REF_PREFIX.length);
}
