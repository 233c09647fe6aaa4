import { execFile } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const consoleDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds the console once (vite build into dist/) for the browser tests; the master serves it. */
export default async function setup(): Promise<void> {
  await promisify(execFile)(
    resolve(consoleDir, "node_modules/.bin/vite"),
    ["build", "--logLevel", "warn"],
    // Vitest sets NODE_ENV=test, with which Vite would bundle React's development build (and
    // StrictMode's double effects): the tests drive the production build the master serves.
    { cwd: consoleDir, env: { ...process.env, NODE_ENV: "production" } },
  );
}
