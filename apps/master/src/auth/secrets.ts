import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Prefix of every agent key, so a leaked key is recognisable (e.g. by secret scanners). */
export const AGENT_KEY_PREFIX = "dfa_";

/** A new agent key: 32 random bytes, base64url. */
export function generateAgentKey(): string {
  return `${AGENT_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function randomId(prefix: string, bytes = 9): string {
  return `${prefix}${randomBytes(bytes).toString("base64url").replace(/[-_]/g, "x")}`;
}

/**
 * sha256 of a key. Keys are 256-bit random values, so a fast hash is enough (no dictionary to
 * guess from); the hash is what the database stores and looks up.
 */
export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Compares two secrets in constant time (independent of where they differ and of their lengths). */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

/** The token of an `Authorization: Bearer <token>` header, if well formed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1];
}
