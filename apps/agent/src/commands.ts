import type { AgentEvent, Command } from "@dockflow/protocol";
import type pino from "pino";
import { Backoff, delay } from "./backoff.ts";
import type { ConnectorManager } from "./connector.ts";
import { CommandError } from "./connector.ts";
import { type MasterClient, MasterError } from "./master-client.ts";
import type { Registration } from "./registration.ts";
import type { AppliedCommand, StateFiles } from "./state-files.ts";

type CommandResult = Extract<AgentEvent, { type: "command_result" }>;

const REMEMBERED = 500;

/**
 * Seed 3.1/3.2: long-polls the master for commands, applies each once (deliveries are
 * at-least-once, so ids already applied are only acknowledged again) and acknowledges every
 * command with a `command_result`.
 */
export class CommandLoop {
  private applied = new Map<string, AppliedCommand>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: MasterClient,
    private readonly registration: Registration,
    private readonly connector: ConnectorManager,
    private readonly files: StateFiles,
    private readonly acknowledge: (event: CommandResult) => void,
    private readonly waitSeconds: number,
    private readonly log: pino.Logger,
    private readonly signal: AbortSignal,
  ) {}

  async load(): Promise<void> {
    for (const entry of await this.files.readAppliedCommands()) this.applied.set(entry.id, entry);
  }

  start(): void {
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff(250, 15_000);
    while (!this.signal.aborted) {
      let agentId: string;
      try {
        agentId = await this.registration.ensure();
      } catch {
        break; // shutting down
      }
      try {
        const { commands, invalid } = await this.client.pollCommands(
          agentId,
          this.waitSeconds,
          this.signal,
        );
        backoff.reset();
        for (const bad of invalid) {
          this.log.warn({ command_id: bad.id }, "unreadable command from the master");
          if (bad.id) this.ack({ id: bad.id, success: false, error: bad.error });
        }
        for (const command of commands) await this.handle(command);
        if (this.waitSeconds === 0 && commands.length === 0) await backoff.wait(this.signal);
      } catch (error) {
        if (this.signal.aborted) break;
        if (error instanceof MasterError && (error.status === 401 || error.status === 404)) {
          this.registration.invalidate();
        }
        const wait =
          error instanceof MasterError && error.retryAfterSeconds
            ? error.retryAfterSeconds * 1000
            : backoff.next();
        this.log.debug({ err: (error as Error).message, retry_in_ms: wait }, "command poll failed");
        await delay(wait, this.signal);
      }
    }
  }

  /** Applies a command unless it was applied before; acknowledges it either way. */
  async handle(command: Command): Promise<void> {
    const previous = this.applied.get(command.id);
    if (previous) {
      this.log.info({ command_id: command.id, action: command.action }, "command seen before");
      this.ack(previous);
      return;
    }
    this.log.info(
      { command_id: command.id, action: command.action, tunnel_id: command.tunnel_id },
      "applying command",
    );
    let entry: AppliedCommand;
    try {
      const result = await this.apply(command);
      entry = { id: command.id, success: true, result };
    } catch (error) {
      const message =
        error instanceof CommandError ? error.message : `failed: ${(error as Error).message}`;
      this.log.warn(
        { command_id: command.id, action: command.action, err: message },
        "command failed",
      );
      entry = { id: command.id, success: false, error: message.slice(0, 4000) };
    }
    this.applied.set(command.id, entry);
    while (this.applied.size > REMEMBERED) {
      const oldest = this.applied.keys().next().value;
      if (oldest === undefined) break;
      this.applied.delete(oldest);
    }
    await this.files
      .writeAppliedCommands([...this.applied.values()])
      .catch((error: Error) =>
        this.log.warn({ err: error.message }, "cannot save applied commands"),
      );
    this.ack(entry);
  }

  private apply(command: Command): Promise<Record<string, unknown>> {
    switch (command.action) {
      case "start_tunnel":
        return this.connector.start(command);
      case "stop_tunnel":
        return this.connector.stop(command.tunnel_id);
      case "restart_tunnel":
        return this.connector.restart(command.tunnel_id);
      case "update_tunnel_config":
        return this.connector.updateConfig(command.tunnel_id, command.rules);
    }
  }

  private ack(entry: AppliedCommand): void {
    this.acknowledge({
      type: "command_result",
      command_id: entry.id,
      success: entry.success,
      ...(entry.result ? { result: entry.result } : {}),
      ...(entry.error ? { error: entry.error } : {}),
    });
  }

  async close(): Promise<void> {
    await this.running;
  }
}
