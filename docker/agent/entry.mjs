// The agent image's entry point: when AGENT_API_KEY is not set but AGENT_API_KEY_FILE is (compose's
// agent-key volume), reads the key from that file, then starts the agent bundle. Never logs the key.
import { readFileSync } from "node:fs";

const file = process.env.AGENT_API_KEY_FILE;
if (!process.env.AGENT_API_KEY && file) {
  let key = "";
  try {
    key = readFileSync(file, "utf8").trim();
  } catch (error) {
    console.error(`agent: cannot read AGENT_API_KEY_FILE ${file}: ${error.code ?? error.message}`);
    process.exit(2);
  }
  if (key === "") {
    console.error(`agent: AGENT_API_KEY_FILE ${file} is empty`);
    process.exit(2);
  }
  process.env.AGENT_API_KEY = key;
}
await import("./main.mjs");
