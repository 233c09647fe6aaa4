import type { ErrorBody, ErrorType, Operation } from "@dockflow/protocol";

/** A failure with one of the seed's error types; the bridge turns it into an `error` event. */
export class FlowError extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "FlowError";
  }
}

interface DockerishError {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
  code?: string;
}

/** Docker's own message, without dockerode's "(HTTP code 404) no such container - " prefix. */
export function dockerMessage(error: unknown): string {
  const e = error as DockerishError;
  const fromJson = e?.json && typeof e.json === "object" ? e.json.message : undefined;
  if (fromJson) return fromJson;
  const msg = e?.message ?? String(error);
  return msg.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, "").trim() || msg;
}

export function dockerStatus(error: unknown): number | undefined {
  return (error as DockerishError)?.statusCode;
}

/** Maps an error thrown by a Docker call to a FlowError (404 on a container: container_not_found). */
export function fromDocker(
  error: unknown,
  context: { containerId?: string; notFound?: ErrorType } = {},
): FlowError {
  if (error instanceof FlowError) return error;
  const status = dockerStatus(error);
  const message = dockerMessage(error);
  if (status === 404) {
    const type = context.notFound ?? "container_not_found";
    return new FlowError(type, message, withId(context.containerId));
  }
  if (status !== undefined) {
    return new FlowError("docker_api_error", message, {
      ...withId(context.containerId),
      status_code: status,
    });
  }
  const code = (error as DockerishError)?.code;
  if (code === "ECONNREFUSED" || code === "ENOENT" || code === "EACCES") {
    return new FlowError("docker_api_error", `Docker engine unreachable: ${message}`, {
      ...withId(context.containerId),
    });
  }
  return new FlowError("system_error", message, withId(context.containerId));
}

function withId(id: string | undefined): Record<string, unknown> {
  return id ? { container_id: id } : {};
}

/** The wire body of an error, with the operation and request id it answers. */
export function errorBody(
  error: unknown,
  operation: Operation | undefined,
  requestId: string | undefined,
): ErrorBody {
  const flow =
    error instanceof FlowError
      ? error
      : new FlowError("system_error", error instanceof Error ? error.message : String(error));
  return {
    error_type: flow.errorType,
    message: flow.message,
    details: {
      ...flow.details,
      ...(operation ? { operation } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    },
  };
}
