/** What a container's death means to the manager. */
export type DeathVerdict =
  /** A stop, restart or delete the manager was asked for. */
  | { kind: "expected" }
  /** Exited 0 on its own, not killed for memory: finished, not crashed. */
  | { kind: "finished" }
  /** A crash; the manager's recovery applies unless Docker's own restart policy restarts it. */
  | { kind: "crash"; exitCode: number | null; managerRecovers: boolean };

export interface Death {
  /** The manager asked for this stop (and the expectation has not expired). */
  expected: boolean;
  /** From inspect; null when Docker did not say. */
  exitCode: number | null;
  /** From the `die` event's attributes, used when inspect has none. */
  eventExitCode: number | null;
  oomKilled: boolean;
  /** Docker's restart policy name ("" or "no" when none). */
  restartPolicy: string;
}

export function judgeDeath(death: Death): DeathVerdict {
  if (death.expected) return { kind: "expected" };
  const exitCode = death.exitCode ?? death.eventExitCode;
  if (exitCode === 0 && !death.oomKilled) return { kind: "finished" };
  const dockerRestarts = death.restartPolicy !== "" && death.restartPolicy !== "no";
  return { kind: "crash", exitCode, managerRecovers: !dockerRestarts };
}
