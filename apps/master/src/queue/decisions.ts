/** What an acknowledgement does to a command row (undefined: no such command). */
export function ackDecision(
  command: { agent_id: string; acked_at: Date | null } | undefined,
  agentId: string,
): "acknowledge" | "already_acknowledged" | "unknown" {
  // One agent never learns of, nor acknowledges, another agent's command.
  if (!command || command.agent_id !== agentId) return "unknown";
  return command.acked_at ? "already_acknowledged" : "acknowledge";
}

export interface PollWaitInput {
  /** What is left of the long poll. */
  remainingMs: number;
  /** When the earliest delivered, unacknowledged command becomes visible again, if any. */
  nextVisibleAt: Date | undefined;
  now: Date;
  /** Whether the notifier would wake the poll (LISTEN is up). */
  notifierHealthy: boolean;
  fallbackRecheckMs: number;
}

/**
 * How long a long poll sleeps before it claims again: until its end, or just after the earliest
 * redelivery is due (within the same poll), or the fallback re-check while the notifier is down.
 */
export function pollWaitMs(input: PollWaitInput): number {
  let timeout = input.remainingMs;
  if (input.nextVisibleAt) {
    const dueIn = Math.max(0, input.nextVisibleAt.getTime() - input.now.getTime()) + 5;
    timeout = Math.min(timeout, dueIn);
  }
  if (!input.notifierHealthy) timeout = Math.min(timeout, input.fallbackRecheckMs);
  return timeout;
}
