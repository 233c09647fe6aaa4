import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AgentEvent, type Command, type CommandInput, RegisterRequest } from "@dockflow/protocol";

interface Queued {
  command: Command;
  deliveredAt?: number;
  acked: boolean;
}

/**
 * A tiny in-test stand-in for the master's agent endpoints (register, events, long-polled
 * commands with at-least-once redelivery), recording everything it receives. Events are
 * validated with the protocol's schemas, so a malformed report fails the test.
 */
export class FakeMaster {
  readonly registrations: RegisterRequest[] = [];
  readonly events: AgentEvent[] = [];
  readonly authorizations: string[] = [];
  readonly invalid: unknown[] = [];
  private readonly queue: Queued[] = [];
  private waiting: (() => void)[] = [];
  private server: Server | undefined;
  /** While true every request gets 503. */
  unavailable = false;
  /** Redeliver unacknowledged commands after this long. */
  visibilityMs = 60_000;
  port = 0;

  constructor(readonly apiKey = "agent-key-for-tests") {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port = this.port): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  async close(): Promise<void> {
    for (const wake of this.waiting.splice(0)) wake();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  enqueue(input: CommandInput): Command {
    const command = { ...input, id: `cmd_${randomUUID()}`, timestamp: new Date().toISOString() };
    this.queue.push({ command: command as Command, acked: false });
    for (const wake of this.waiting.splice(0)) wake();
    return command as Command;
  }

  /** Delivers `command` again (as an at-least-once queue may). */
  redeliver(command: Command): void {
    this.queue.push({ command, acked: false });
    for (const wake of this.waiting.splice(0)) wake();
  }

  eventsOf<T extends AgentEvent["type"]>(type: T): Extract<AgentEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<AgentEvent, { type: T }>[];
  }

  results(commandId: string) {
    return this.eventsOf("command_result").filter((e) => e.command_id === commandId);
  }

  private due(): Queued[] {
    const now = Date.now();
    return this.queue.filter(
      (q) => !q.acked && (q.deliveredAt === undefined || now - q.deliveredAt > this.visibilityMs),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    if (this.unavailable) return send(503, { error: "unavailable", message: "down for a test" });
    this.authorizations.push(req.headers.authorization ?? "");
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return send(401, { error: "unauthorized", message: "bad key" });
    }
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "POST" && url.pathname === "/api/v2/agents/register") {
      const body = RegisterRequest.parse(JSON.parse(text));
      this.registrations.push(body);
      return send(200, {
        agent_id: body.agent_id ?? `agent-${randomUUID().slice(0, 8)}`,
        status: "registered",
        capabilities: ["tunnel_management", "service_discovery"],
      });
    }
    const events = /^\/api\/v2\/agents\/([^/]+)\/events$/.exec(url.pathname);
    if (req.method === "POST" && events) {
      const parsed = AgentEvent.safeParse(JSON.parse(text));
      if (!parsed.success) {
        this.invalid.push(JSON.parse(text));
        return send(400, { error: "validation_error", message: parsed.error.message });
      }
      const duplicate = this.events.some(
        (e) => e.event_id !== undefined && e.event_id === parsed.data.event_id,
      );
      if (!duplicate) this.events.push(parsed.data);
      if (parsed.data.type === "command_result") {
        for (const q of this.queue) {
          if (q.command.id === parsed.data.command_id) q.acked = true;
        }
      }
      return send(202, { status: "accepted", duplicate });
    }
    const commands = /^\/api\/v2\/agents\/([^/]+)\/commands$/.exec(url.pathname);
    if (req.method === "GET" && commands) {
      const wait = Number(url.searchParams.get("wait") ?? 0);
      if (this.due().length === 0 && wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(wait, 2) * 1000);
          this.waiting.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const due = this.due();
      for (const q of due) q.deliveredAt = Date.now();
      // A redelivered copy is the same command: leave the original in place.
      return send(200, { commands: due.map((q) => q.command) });
    }
    return send(404, { error: "not_found", message: "no such route" });
  }
}
