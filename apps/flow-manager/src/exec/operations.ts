import type { ExecOperation, ParsedRequestOf } from "@dockflow/protocol";
import type { ClientRegistry } from "../clients.ts";
import { FlowError } from "../errors.ts";
import type { HandlerTable, RequestContext } from "../handlers.ts";
import type { StatusStore } from "../status-store.ts";
import { inputBytes } from "./policy.ts";
import type { ExecSessions } from "./sessions.ts";

export interface ExecOperationsOptions {
  /** FLOW_EXEC_ENABLED: off, every exec request is a validation_error saying so. */
  enabled: boolean;
  sessions: ExecSessions;
  store: StatusStore;
  clients: ClientRegistry;
}

type ExecHandlers = Pick<HandlerTable, ExecOperation>;

/** The four exec requests, in session terms. */
export class ExecOperations implements ExecHandlers {
  private readonly options: ExecOperationsOptions;

  constructor(options: ExecOperationsOptions) {
    this.options = options;
  }

  exec_start = async (req: ParsedRequestOf<"exec_start">, ctx: RequestContext) => {
    const { sessions, clients } = this.requireEnabled();
    const container = this.runningContainer(req.container_id);
    clients.noteInterest(ctx.clientId, container.id);
    const session = await sessions.start(ctx.clientId, container, req);
    // Output flows once exec_started is out, so the client knows the session id first.
    ctx.afterReply.push(() => session.begin());
    return {
      session_id: session.id,
      container_id: container.id,
      cmd: session.spec.cmd,
      tty: session.spec.tty,
    };
  };

  exec_input = async (req: ParsedRequestOf<"exec_input">, ctx: RequestContext) => {
    const session = this.requireEnabled().sessions.owned(ctx.clientId, req.session_id);
    const bytes = inputBytes(req);
    await session.write(bytes);
    return { session_id: session.id, bytes: bytes.length };
  };

  exec_resize = async (req: ParsedRequestOf<"exec_resize">, ctx: RequestContext) => {
    const session = this.requireEnabled().sessions.owned(ctx.clientId, req.session_id);
    if (!session.spec.tty) {
      throw new FlowError("validation_error", "exec_resize needs a session started with tty", {
        session_id: session.id,
        issues: [{ path: "session_id", message: "the session has no terminal" }],
      });
    }
    await session.resize({ cols: req.cols, rows: req.rows });
    return { session_id: session.id, cols: req.cols, rows: req.rows };
  };

  exec_close = async (req: ParsedRequestOf<"exec_close">, ctx: RequestContext) => {
    const session = this.requireEnabled().sessions.owned(ctx.clientId, req.session_id);
    // exec_ended (with the exit code) follows exec_closed once the processes are gone.
    ctx.afterReply.push(() => void session.terminate("closed"));
    return { session_id: session.id };
  };

  private requireEnabled(): ExecOperationsOptions {
    if (!this.options.enabled) {
      const message =
        "exec sessions are disabled on this flow manager (its operator can enable them with FLOW_EXEC_ENABLED=true)";
      throw new FlowError("validation_error", message, {
        exec_enabled: false,
        issues: [{ path: "(root)", message }],
      });
    }
    return this.options;
  }

  /** A managed container that runs now: exec needs a running process namespace. */
  private runningContainer(ref: string): { id: string; name: string } {
    const c = this.options.store.resolve(ref);
    if (!c) {
      throw new FlowError("container_not_found", `no managed container "${ref}"`, {
        container_id: ref,
      });
    }
    if (c.state !== "running") {
      throw new FlowError(
        "docker_api_error",
        `container ${c.name} is ${c.state}: exec_start needs a running container`,
        { container_id: c.id, status: c.state },
      );
    }
    return { id: c.id, name: c.name };
  }
}
