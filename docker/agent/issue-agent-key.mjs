// One-shot bootstrap for the compose stack (service `agent-key`): makes sure AGENT_API_KEY_FILE
// holds a key the master accepts. A key issued here has its id beside it (<file>.id): while the
// master lists that id unrevoked, nothing happens; otherwise (first start, revoked key, wiped
// database) a new key is issued through POST /api/v2/keys with the admin token. A key file without
// an id was put there by hand and is left alone.
// Env: MASTER_URL, MASTER_ADMIN_TOKEN (or MASTER_ADMIN_TOKEN_FILE, a mounted secret),
// AGENT_API_KEY_FILE, AGENT_KEY_NAME (default compose-agent).
// Never prints the key or the token.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const { MASTER_URL, AGENT_API_KEY_FILE, MASTER_ADMIN_TOKEN_FILE } = process.env;
const MASTER_ADMIN_TOKEN =
  process.env.MASTER_ADMIN_TOKEN || (MASTER_ADMIN_TOKEN_FILE ? read(MASTER_ADMIN_TOKEN_FILE) : "");
const name = process.env.AGENT_KEY_NAME || "compose-agent";
for (const [key, value] of Object.entries({ MASTER_URL, MASTER_ADMIN_TOKEN, AGENT_API_KEY_FILE })) {
  if (!value) {
    console.error(`agent-key: ${key} is required`);
    process.exit(2);
  }
}
const keysUrl = `${MASTER_URL.replace(/\/+$/, "")}/api/v2/keys`;
const headers = {
  authorization: `Bearer ${MASTER_ADMIN_TOKEN}`,
  "content-type": "application/json",
};

function read(path) {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

function writeAtomically(path, content) {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Calls the master, retrying connection failures, 429 and 5xx for a while (it may be restarting). */
async function call(init) {
  let problem = "";
  for (let attempt = 1; attempt <= 30; attempt++) {
    try {
      const res = await fetch(keysUrl, init);
      if (res.ok) return res.json();
      problem = `${init.method ?? "GET"} /api/v2/keys answered ${res.status}`;
      if (res.status < 500 && res.status !== 429) break;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  console.error(`agent-key: ${problem}`);
  process.exit(1);
}

const existing = read(AGENT_API_KEY_FILE);
const existingId = read(`${AGENT_API_KEY_FILE}.id`);
if (existing !== "" && existingId === "") {
  console.log(`agent-key: ${AGENT_API_KEY_FILE} holds a key put there by hand; leaving it`);
  process.exit(0);
}
if (existing !== "") {
  const { keys } = await call({ headers });
  if (keys.some((k) => k.id === existingId && !k.revoked_at)) {
    console.log(`agent-key: key ${existingId} is still valid; nothing to do`);
    process.exit(0);
  }
  console.log(
    `agent-key: key ${existingId} is unknown to the master or revoked; issuing a new one`,
  );
}
const issued = await call({ method: "POST", headers, body: JSON.stringify({ name }) });
if (typeof issued.key !== "string" || issued.key === "") {
  console.error("agent-key: the master's answer has no key");
  process.exit(1);
}
mkdirSync(dirname(AGENT_API_KEY_FILE), { recursive: true });
writeAtomically(AGENT_API_KEY_FILE, `${issued.key}\n`);
writeAtomically(`${AGENT_API_KEY_FILE}.id`, `${issued.id}\n`);
console.log(`agent-key: issued key ${issued.id} (${name}) into ${AGENT_API_KEY_FILE}`);
