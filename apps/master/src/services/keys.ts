import type { KeyIssued, KeyView } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import { generateAgentKey, hashKey, randomId } from "../auth/secrets.ts";
import * as keys from "../db/repositories/agent-keys.ts";
import { appendEvent } from "../db/repositories/event-log.ts";
import type { Database } from "../db/schema.ts";
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
    await this.db.transaction().execute(async (tx) => {
      await keys.insertKey(tx, { id, name, key_hash: hashKey(secret), created_at: at });
      await appendEvent(tx, {
        agent_id: null,
        type: "key_issued",
        payload: { key_id: id, name },
        created_at: at,
      });
    });
    return { id, name, key: secret, created_at: at.toISOString() };
  }

  async list(): Promise<KeyView[]> {
    return (await keys.listKeys(this.db)).map(keyView);
  }

  /** Revokes at once: the next request with the key is refused. False for an unknown id. */
  async revoke(id: string): Promise<KeyView | undefined> {
    const at = this.clock();
    const revoked = await this.db.transaction().execute(async (tx) => {
      if (!(await keys.revokeKey(tx, id, at))) return undefined;
      await appendEvent(tx, {
        agent_id: null,
        type: "key_revoked",
        payload: { key_id: id },
        created_at: at,
      });
      const key = await keys.getKey(tx, id);
      return key ? keyView(key) : undefined;
    });
    if (revoked) this.onKeysChanged();
    return revoked;
  }
}
