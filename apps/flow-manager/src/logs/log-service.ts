import { DEFAULT_LOG_TAIL, type LogLine, type ParsedRequestOf } from "@dockflow/protocol";
import type { LogSource } from "./docker-logs.ts";
import { sinceToNs } from "./docker-time.ts";
import type { LogHub } from "./log-hub.ts";

/** The log requests in Docker terms, for a container already resolved to its full id. */
export class LogService {
  constructor(private readonly options: { source: LogSource; hub: LogHub }) {}

  read(id: string, req: ParsedRequestOf<"get_container_logs">): Promise<LogLine[]> {
    return this.options.source.read(id, {
      tail: req.tail ?? DEFAULT_LOG_TAIL,
      timestamps: req.timestamps ?? false,
      ...(req.since !== undefined && { sinceNs: sinceToNs(req.since) }),
    });
  }

  /** Resolves with the function that starts the pushes once the reply is out. */
  subscribe(
    clientId: string,
    id: string,
    req: ParsedRequestOf<"subscribe_logs">,
  ): Promise<() => void> {
    return this.options.hub.subscribe(clientId, id, req.tail ?? 0);
  }

  unsubscribe(clientId: string, id: string): void {
    this.options.hub.unsubscribe(clientId, id);
  }
}
