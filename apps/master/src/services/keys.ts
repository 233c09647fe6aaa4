import type { KeyIssued, KeyView, PageQuery } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import { generateAgentKey, hashKey, randomId } from "../auth/secrets.ts";
import * as keys from "../db/repositories/agent-keys.ts";
import { appendEvent } from "../db/repositories/event-log.ts";
import type { Database } from "../db/schema.ts";
import { withChanges } from "./change-set.ts";
import { pageRequest, toPage } from "./pagination.ts";
import { keyView } from "./views.ts";

/** Agent keys: issued by operators, shown once, stored as sha256 hashes, revocable. */
export class KeyService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
    /** Called after a revocation committed (the key cache must forget the key). */
    private readonly onKeysChanged: () => void,
  ) {}

  /** Issues a key. `secret` is only for importing an existing key (tests, migrations). */
  async issue(name: string, secret: string = generateAgentKey()): Promise<KeyIssued> {
    const at = this.clock();
    const id = randomId("key_");
    await withChanges(this.db, at, async (tx, changes) => {
      const row = { id, name, key_hash: hashKey(secret), created_at: at };
      await keys.insertKey(tx, row);
      await appendEvent(tx, {
        agent_id: null,
        type: "key_issued",
        payload: { key_id: id, name },
        created_at: at,
      });
      const key = keyView({ ...row, agent_id: null, revoked_at: null, last_used_at: null });
      changes.add({ kind: "key", action: "issued", key });
    });
    return { id, name, key: secret, created_at: at.toISOString() };
  }

  /** One page of keys, oldest first. */
  async list(query: PageQuery): Promise<{ keys: KeyView[]; next_cursor: string | null }> {
    const request = pageRequest(query, 2);
    const page = toPage(await keys.listKeysPage(this.db, request), request, (k) => [
      k.created_at.toISOString(),
      k.id,
    ]);
    return { keys: page.rows.map(keyView), next_cursor: page.next_cursor };
  }

  /** Revokes at once: the next request with the key is refused. False for an unknown id. */
  async revoke(id: string): Promise<KeyView | undefined> {
    const at = this.clock();
    const revoked = await withChanges(this.db, at, async (tx, changes) => {
      if (!(await keys.revokeKey(tx, id, at))) return undefined;
      await appendEvent(tx, {
        agent_id: null,
        type: "key_revoked",
        payload: { key_id: id },
        created_at: at,
      });
      const key = await keys.getKey(tx, id);
      if (!key) return undefined;
      changes.add({ kind: "key", action: "revoked", key: keyView(key) });
      return keyView(key);
    });
    if (revoked) this.onKeysChanged();
    return revoked;
  }
}
