import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AgentId, TunnelRules } from "@dockflow/protocol";
import { z } from "zod";

/** DATA_DIR/tunnel_state.json: what the connector should be doing (seed "Agent State Files"). */
export const TunnelState = z.object({
  token: z.string().min(1),
  id: z.string().min(1),
  name: z.string().min(1),
  desired_state: z.enum(["running", "stopped"]),
  /** The ingress rules the master said this tunnel serves (the agent never edits Cloudflare). */
  rules: TunnelRules.default({}),
  updated_at: z.string().optional(),
});
export type TunnelState = z.infer<typeof TunnelState>;

const AppliedCommands = z.array(
  z.object({
    id: z.string(),
    success: z.boolean(),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.string().optional(),
  }),
);
export type AppliedCommand = z.infer<typeof AppliedCommands>[number];

/** Writes `content` to `path` atomically (temp file, fsync, rename) with mode 600. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.writeFile(content);
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The agent's files under DATA_DIR. */
export class StateFiles {
  readonly agentIdPath: string;
  readonly tunnelStatePath: string;
  readonly commandsPath: string;

  constructor(readonly dataDir: string) {
    this.agentIdPath = join(dataDir, "agent_id.txt");
    this.tunnelStatePath = join(dataDir, "tunnel_state.json");
    this.commandsPath = join(dataDir, "applied_commands.json");
  }

  async readAgentId(): Promise<string | undefined> {
    const raw = (await readOptional(this.agentIdPath))?.trim();
    if (!raw) return undefined;
    return AgentId.safeParse(raw).success ? raw : undefined;
  }

  writeAgentId(id: string): Promise<void> {
    return writeFileAtomic(this.agentIdPath, `${id}\n`);
  }

  /** The saved tunnel state; a corrupt file is treated as none (and reported by the caller). */
  async readTunnelState(): Promise<TunnelState | undefined> {
    const raw = await readOptional(this.tunnelStatePath);
    if (raw === undefined) return undefined;
    const parsed = TunnelState.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(`${this.tunnelStatePath} is not a valid tunnel state`);
    return parsed.data;
  }

  writeTunnelState(state: TunnelState): Promise<void> {
    return writeFileAtomic(
      this.tunnelStatePath,
      `${JSON.stringify({ ...state, updated_at: new Date().toISOString() }, null, 2)}\n`,
    );
  }

  async readAppliedCommands(): Promise<AppliedCommand[]> {
    const raw = await readOptional(this.commandsPath);
    if (raw === undefined) return [];
    try {
      const parsed = AppliedCommands.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  writeAppliedCommands(commands: AppliedCommand[]): Promise<void> {
    return writeFileAtomic(this.commandsPath, `${JSON.stringify(commands)}\n`);
  }
}
