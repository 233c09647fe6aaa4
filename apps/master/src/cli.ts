import { KeyIssued, KeyPage, KeyView } from "@dockflow/protocol";
import { z } from "zod";

/**
 * Operator CLI for agent keys. It talks to a running master's API with the admin token (so it
 * works the same against PGlite or PostgreSQL and never touches key hashes itself):
 *
 *   MASTER_URL=http://127.0.0.1:8080 MASTER_ADMIN_TOKEN=... dockflow-master keys issue <name>
 *   ... keys list
 *   ... keys revoke <id>
 */
const CliEnv = z.object({
  MASTER_URL: z.url().default("http://127.0.0.1:8080"),
  MASTER_ADMIN_TOKEN: z.string({ error: "MASTER_ADMIN_TOKEN is required" }).min(1),
});

const USAGE = "usage: cli keys issue <name> | keys list | keys revoke <id>";

export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  fetchImpl: typeof fetch = fetch,
): Promise<number> {
  const parsed = CliEnv.safeParse(env);
  if (!parsed.success) {
    out(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
    return 2;
  }
  const { MASTER_URL, MASTER_ADMIN_TOKEN } = parsed.data;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetchImpl(`${MASTER_URL.replace(/\/$/, "")}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${MASTER_ADMIN_TOKEN}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  };
  const [group, command, arg] = argv;
  try {
    if (group === "keys" && command === "issue" && arg) {
      const key = KeyIssued.parse(await call("POST", "/keys", { name: arg }));
      out(`id:   ${key.id}\nname: ${key.name}\nkey:  ${key.key}\n(the key is shown only now)`);
      return 0;
    }
    if (group === "keys" && command === "list") {
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
        const page = KeyPage.parse(await call("GET", `/keys${query}`));
        for (const k of page.keys) {
          out(
            [
              k.id,
              k.name,
              k.agent_id ?? "-",
              k.revoked_at ? `revoked ${k.revoked_at}` : "active",
            ].join("\t"),
          );
        }
        cursor = page.next_cursor;
      } while (cursor !== null);
      return 0;
    }
    if (group === "keys" && command === "revoke" && arg) {
      const key = KeyView.parse(await call("DELETE", `/keys/${encodeURIComponent(arg)}`));
      out(`revoked ${key.id} at ${key.revoked_at}`);
      return 0;
    }
  } catch (error) {
    out(error instanceof Error ? error.message : String(error));
    return 1;
  }
  out(USAGE);
  return 2;
}

const entry = process.argv[1];
if (entry && import.meta.url === (await import("node:url")).pathToFileURL(entry).href) {
  process.exitCode = await runCli(process.argv.slice(2), process.env, (line) =>
    process.stdout.write(`${line}\n`),
  );
}
