import { readFileSync } from "node:fs";

/** Variables that may come from a file (a Swarm or compose secret) as `<NAME>_FILE`. */
export const SECRET_VARIABLES = ["DATABASE_URL", "MASTER_ADMIN_TOKEN", "CLOUDFLARE_API_TOKEN"];

export class SecretFileError extends Error {}

/**
 * The environment with each secret variable that is unset but has `<NAME>_FILE` read from that
 * file (trimmed). Setting both is an error, as is a file that cannot be read; messages name the
 * variable and the path, never the content.
 */
export function withSecretFiles(
  env: Record<string, string | undefined>,
  read: (path: string) => string = (path) => readFileSync(path, "utf8"),
): Record<string, string | undefined> {
  const out = { ...env };
  for (const name of SECRET_VARIABLES) {
    const path = env[`${name}_FILE`]?.trim();
    if (!path) continue;
    if (env[name]?.trim()) throw new SecretFileError(`set ${name} or ${name}_FILE, not both`);
    try {
      out[name] = read(path).trim();
    } catch (error) {
      const code = (error as { code?: string }).code ?? "unreadable";
      throw new SecretFileError(`${name}_FILE ${path} cannot be read (${code})`);
    }
  }
  return out;
}
