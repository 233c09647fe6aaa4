import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { generateAll, SDK_DIR } from "./lib/outputs.ts";

/** `pnpm generate`: writes the AsyncAPI/OpenAPI documents and the SDK's types generated from them. */
for (const file of await generateAll()) {
  const target = join(SDK_DIR, file.path);
  const current = await readFile(target, "utf8").catch(() => undefined);
  if (current === file.content) {
    console.log(`unchanged ${file.path}`);
    continue;
  }
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, file.content);
  console.log(`wrote     ${file.path}`);
}
