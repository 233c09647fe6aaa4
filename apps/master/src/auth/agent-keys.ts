import { findKeyByHash } from "../db/repositories/agent-keys.ts";
import type { Executor } from "../db/repositories/executor.ts";
import type { AgentKeyCache } from "./key-cache.ts";
import { hashKey, secretsEqual } from "./secrets.ts";

export interface AgentPrincipal {
  keyId: string;
  /** The agent the key is bound to; null before its first registration. */
  agentId: string | null;
}

/**
 * Resolves an agent key. The lookup is by sha256 digest (an attacker cannot steer it towards a
 * prefix of a real key's digest), and the digests are compared in constant time once more.
 * Revoked keys resolve to nothing, so revocation takes effect on the next request (the cache, when
 * given, is emptied on every change to a key).
 */
export async function resolveAgentKey(
  db: Executor,
  key: string,
  cache?: AgentKeyCache,
): Promise<AgentPrincipal | undefined> {
  const digest = hashKey(key);
  const load = async (): Promise<AgentPrincipal | undefined> => {
    const row = await findKeyByHash(db, digest);
    if (!row || !secretsEqual(row.key_hash, digest) || row.revoked_at !== null) return undefined;
    return { keyId: row.id, agentId: row.agent_id };
  };
  return cache ? cache.resolve(digest, load) : load();
}
