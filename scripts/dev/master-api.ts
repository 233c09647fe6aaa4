import { readFileSync, writeFileSync } from "node:fs";

/** Polls `url` until it answers (any HTTP status below 500 when `anyStatus`, else 2xx). */
export async function waitHealthy(
  url: string,
  options: { anyStatus?: boolean; signal: AbortSignal; onSlow?: () => void; slowMs?: number },
): Promise<void> {
  const slowAt = Date.now() + (options.slowMs ?? 30_000);
  let warned = false;
  while (!options.signal.aborted) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok || (options.anyStatus && res.status < 500)) return;
    } catch {
      // not listening yet
    }
    if (!warned && Date.now() > slowAt) {
      warned = true;
      options.onSlow?.();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("stopped");
}

interface SavedKey {
  id: string;
  key: string;
  master: string;
}

/**
 * The local agent's key: the one saved in `file` while the master still lists it unrevoked, else a
 * new one issued through `POST /api/v2/keys` (and saved). Never logs the key.
 */
export async function agentKey(
  masterUrl: string,
  adminToken: string,
  file: string,
): Promise<{ key: string; id: string; reused: boolean }> {
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  let saved: SavedKey | undefined;
  try {
    saved = JSON.parse(readFileSync(file, "utf8")) as SavedKey;
  } catch {
    saved = undefined;
  }
  if (saved?.id && saved.key) {
    const res = await fetch(`${masterUrl}/api/v2/keys`, { headers });
    if (!res.ok) throw new Error(`GET /api/v2/keys answered ${res.status}`);
    const { keys } = (await res.json()) as { keys: Array<{ id: string; revoked_at: unknown }> };
    if (keys.some((k) => k.id === saved.id && !k.revoked_at)) {
      return { key: saved.key, id: saved.id, reused: true };
    }
  }
  const res = await fetch(`${masterUrl}/api/v2/keys`, {
    method: "POST",
    headers,
    body: JSON.stringify({ name: "pnpm-dev-agent" }),
  });
  if (!res.ok) throw new Error(`POST /api/v2/keys answered ${res.status}`);
  const issued = (await res.json()) as { id: string; key: string };
  writeFileSync(
    file,
    `${JSON.stringify({ id: issued.id, key: issued.key, master: masterUrl })}\n`,
    {
      mode: 0o600,
    },
  );
  return { key: issued.key, id: issued.id, reused: false };
}
