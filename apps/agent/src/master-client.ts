import {
  type AgentEvent,
  ApiError,
  type Command,
  Command as CommandSchema,
  CommandsResponse,
  describeIssues,
  type RegisterRequest,
  RegisterResponse,
} from "@dockflow/protocol";

/** A failed call to the master. `status` 0 means no HTTP answer (unreachable, timeout). */
export class MasterError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Worth trying again later (network, 408, 429, 5xx). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface MasterClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Called on every successful (2xx) exchange: the readiness endpoint reports it. */
  onContact?: () => void;
  /** Called on every failed exchange with its HTTP status (0: no answer), not on shutdown. */
  onFailure?: (status: number) => void;
  requestTimeoutMs?: number;
}

/** The master's `/api/v2` agent endpoints, typed by `@dockflow/protocol`. */
export class MasterClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: MasterClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  private async call(
    method: string,
    path: string,
    body: unknown,
    { signal, timeoutMs }: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs ?? this.options.requestTimeoutMs ?? 15_000);
    let response: Response;
    try {
      response = await this.fetch(`${this.options.baseUrl}/api/v2${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (!signal?.aborted) this.options.onFailure?.(0);
      const reason = (error as Error).name === "TimeoutError" ? "timed out" : "unreachable";
      throw new MasterError(0, "unreachable", `master ${reason}: ${method} ${pathOnly(path)}`);
    }
    const text = await response.text().catch(() => "");
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      this.options.onFailure?.(response.status);
      const parsed = ApiError.safeParse(json);
      const retryAfter =
        parsed.success && parsed.data.retry_after !== undefined
          ? parsed.data.retry_after
          : Number(response.headers.get("retry-after")) || undefined;
      throw new MasterError(
        response.status,
        parsed.success ? parsed.data.error : `http_${response.status}`,
        `master answered ${response.status} to ${method} ${pathOnly(path)}${
          parsed.success ? `: ${parsed.data.message}` : ""
        }`,
        retryAfter,
      );
    }
    this.options.onContact?.();
    return json;
  }

  async register(request: RegisterRequest, signal?: AbortSignal) {
    const body = await this.call("POST", "/agents/register", request, { signal });
    const parsed = RegisterResponse.safeParse(body);
    if (!parsed.success) throw new MasterError(200, "bad_response", "malformed register response");
    return parsed.data;
  }

  async postEvent(agentId: string, event: AgentEvent, signal?: AbortSignal): Promise<void> {
    await this.call("POST", `/agents/${encodeURIComponent(agentId)}/events`, event, { signal });
  }

  /**
   * Long-polls for commands for up to `waitSeconds`. Commands this agent cannot read come back
   * under `invalid` (with their id when they have one), so they can be acknowledged as failed.
   */
  async pollCommands(
    agentId: string,
    waitSeconds: number,
    signal?: AbortSignal,
  ): Promise<{ commands: Command[]; invalid: { id?: string; error: string }[] }> {
    const body = await this.call(
      "GET",
      `/agents/${encodeURIComponent(agentId)}/commands?wait=${waitSeconds}`,
      undefined,
      { signal, timeoutMs: (waitSeconds + 15) * 1000 },
    );
    const parsed = CommandsResponse.safeParse(body);
    if (parsed.success) return { commands: parsed.data.commands, invalid: [] };
    const list = (body as { commands?: unknown } | undefined)?.commands;
    if (!Array.isArray(list)) {
      throw new MasterError(200, "bad_response", "malformed commands response");
    }
    const commands: Command[] = [];
    const invalid: { id?: string; error: string }[] = [];
    for (const item of list) {
      const one = CommandSchema.safeParse(item);
      if (one.success) commands.push(one.data);
      else {
        const id = (item as { id?: unknown } | null)?.id;
        invalid.push({
          id: typeof id === "string" ? id : undefined,
          error: `unsupported or malformed command: ${describeIssues(one.error)}`,
        });
      }
    }
    return { commands, invalid };
  }
}

function pathOnly(path: string): string {
  return path.split("?")[0] ?? path;
}
