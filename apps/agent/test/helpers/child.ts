import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const agentRoot = fileURLToPath(new URL("../..", import.meta.url));

/** A free TCP port on loopback (for a child agent's health endpoint). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ChildAgent {
  process: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** Runs `src/main.ts` in its own Node process (tsx loader), as `pnpm start` would. */
export function spawnAgent(env: Record<string, string>): ChildAgent {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: agentRoot,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (d: Buffer) => output.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return { process: child, output, exited };
}
