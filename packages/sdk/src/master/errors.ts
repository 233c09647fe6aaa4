import type { MasterErrorBody } from "../generated/master-api.ts";

const CODE_OF_STATUS: Record<number, MasterErrorBody["error"]> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  429: "rate_limited",
  503: "unavailable",
};

/**
 * A failing master response: the HTTP status and the protocol's error body (`error` code,
 * `message`, `issues` for a wrong field, `retry_after` seconds when rate limited).
 */
export class MasterApiError extends Error {
  override readonly name = "MasterApiError";
  readonly status: number;
  readonly error: MasterErrorBody["error"];
  readonly issues: MasterErrorBody["issues"];
  readonly retry_after: MasterErrorBody["retry_after"];
  /** The response body as received (the error body, or whatever a proxy sent instead). */
  readonly body: unknown;
  /** `METHOD path` of the request. */
  readonly request: string;

  constructor(status: number, body: unknown, request: string) {
    const known = isErrorBody(body) ? body : undefined;
    super(known?.message ?? `${request} failed with HTTP ${status}`);
    this.status = status;
    this.error =
      known?.error ?? CODE_OF_STATUS[status] ?? (status >= 500 ? "internal_error" : "bad_request");
    this.issues = known?.issues;
    this.retry_after = known?.retry_after;
    this.body = body;
    this.request = request;
  }
}

function isErrorBody(body: unknown): body is MasterErrorBody {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { error?: unknown }).error === "string" &&
    typeof (body as { message?: unknown }).message === "string"
  );
}

/** True for a `MasterApiError`, optionally with one of the given `error` codes. */
export function isMasterApiError(
  error: unknown,
  ...codes: MasterErrorBody["error"][]
): error is MasterApiError {
  return error instanceof MasterApiError && (codes.length === 0 || codes.includes(error.error));
}
