import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
const { document, diagnostics } = await parser.parse(
  await readFile("generated/asyncapi.json", "utf8"),
);
for (const d of diagnostics) console.log(d.severity, d.code, d.message, d.path.join("."));
console.log("document?", !!document, document?.operations().all().length);
