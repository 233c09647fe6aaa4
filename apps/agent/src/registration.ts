import type { RegisterRequest } from "@dockflow/protocol";
import type pino from "pino";
import { Backoff, delay } from "./backoff.ts";
import type { MasterClient } from "./master-client.ts";
import { MasterError } from "./master-client.ts";
import type { StateFiles } from "./state-files.ts";

/**
 * Seed 1.2/1.3: registers with the master (coming back as the stored agent id), retrying with
 * backoff while the master is away; keeps the id in DATA_DIR/agent_id.txt.
 */
export class Registration {
  private agentId: string | undefined;
  private registered = false;
  private pending: Promise<string> | undefined;
  private waiters: ((id: string) => void)[] = [];

  constructor(
    private readonly client: MasterClient,
    private readonly files: StateFiles,
    private readonly request: () => Omit<RegisterRequest, "agent_id">,
    private readonly log: pino.Logger,
    private readonly signal: AbortSignal,
  ) {}

  get id(): string | undefined {
    return this.registered ? this.agentId : undefined;
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  async loadStoredId(): Promise<string | undefined> {
    this.agentId = await this.files.readAgentId();
    return this.agentId;
  }

  /** Resolves with the agent id once registered (registering if nobody is yet). */
  ensure(): Promise<string> {
    if (this.registered && this.agentId) return Promise.resolve(this.agentId);
    this.pending ??= this.registerLoop().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Waits until registered without starting a registration itself. */
  whenRegistered(): Promise<string> {
    if (this.registered && this.agentId) return Promise.resolve(this.agentId);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The master no longer knows this agent (or the key): register again. */
  invalidate(): void {
    if (!this.registered) return;
    this.registered = false;
    this.log.warn("master no longer accepts this agent's session: registering again");
    void this.ensure().catch(() => undefined);
  }

  private async registerLoop(): Promise<string> {
    const backoff = new Backoff(250, 30_000);
    for (;;) {
      if (this.signal.aborted) throw new Error("agent is shutting down");
      try {
        const response = await this.client.register(
          { ...this.request(), ...(this.agentId ? { agent_id: this.agentId } : {}) },
          this.signal,
        );
        if (response.agent_id !== this.agentId) await this.files.writeAgentId(response.agent_id);
        this.agentId = response.agent_id;
        this.registered = true;
        this.log.info({ agent_id: this.agentId }, "registered with the master");
        const waiters = this.waiters;
        this.waiters = [];
        for (const resolve of waiters) resolve(response.agent_id);
        return response.agent_id;
      } catch (error) {
        const status = error instanceof MasterError ? error.status : 0;
        const wait =
          error instanceof MasterError && error.retryAfterSeconds
            ? error.retryAfterSeconds * 1000
            : backoff.next();
        this.log.warn(
          { status, err: (error as Error).message, retry_in_ms: wait },
          status === 401 || status === 403
            ? "registration refused (check AGENT_API_KEY); retrying"
            : "registration failed; retrying",
        );
        await delay(wait, this.signal);
      }
    }
  }
}
