import type {
  ErrorBody,
  ErrorDetails,
  ErrorType,
  FlowRequestName,
} from "../generated/flow-events.ts";

/**
 * A request the flow manager refused or failed: the protocol's error body (`error_type`,
 * `message`, `details`) as an `Error`. `details.operation` names the request, `details.request_id`
 * its id, and for `validation_error` `details.issues` lists each wrong field.
 */
export class FlowError extends Error {
  override readonly name = "FlowError";
  readonly error_type: ErrorType;
  readonly details: ErrorDetails;

  constructor(body: ErrorBody, options?: { cause?: unknown }) {
    super(body.message, options);
    this.error_type = body.error_type;
    this.details = body.details ?? {};
  }

  /** The error body as the server sent it. */
  toJSON(): ErrorBody {
    return { error_type: this.error_type, message: this.message, details: this.details };
  }
}

/** No answer within the call's timeout (the request may still have been carried out). */
export class FlowTimeoutError extends Error {
  override readonly name = "FlowTimeoutError";

  constructor(
    readonly operation: FlowRequestName | "request",
    readonly timeoutMs: number,
    readonly requestId: string,
  ) {
    super(`${operation} (request_id ${requestId}) got no answer within ${timeoutMs} ms`);
  }
}

/**
 * Not connected: the server refused the connection (e.g. a wrong token), the connection was lost
 * after a request was sent (it may have been carried out), or `ready()` timed out.
 */
export class FlowConnectionError extends Error {
  override readonly name = "FlowConnectionError";

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The call could not complete because the client was closed or the call was aborted. */
export class FlowClosedError extends Error {
  override readonly name = "FlowClosedError";

  constructor(
    readonly operation: FlowRequestName | "request",
    readonly requestId: string,
    reason: "closed" | "aborted",
    options?: { cause?: unknown },
  ) {
    super(
      reason === "closed"
        ? `${operation} (request_id ${requestId}) cancelled: the flow client was closed`
        : `${operation} (request_id ${requestId}) aborted`,
      options,
    );
  }
}

/** True for a `FlowError`, optionally of the given `error_type`s. */
export function isFlowError(error: unknown, ...types: ErrorType[]): error is FlowError {
  return error instanceof FlowError && (types.length === 0 || types.includes(error.error_type));
}
