import { APIConnectionError, APIError } from "cloudflare";

/**
 * What went wrong, for callers that branch on it:
 * - `api`: Cloudflare answered with an error (see `status` and `code`);
 * - `network`: no usable answer (connection error, per-request timeout): the call may or may not
 *   have taken effect;
 * - `rate_limited`: Cloudflare asked us to wait longer than we are willing to block a call
 *   (`retryAfterMs` says how long);
 * - `dns_conflict`: the hostname already has an A/AAAA record or a CNAME that is not a tunnel's;
 * - `zone_not_found`: no zone of the account holds the hostname (or the named zone is missing);
 * - `invalid_ingress`: the ingress we would write is invalid (nothing was sent).
 */
export type CloudflareErrorKind =
  | "api"
  | "network"
  | "rate_limited"
  | "dns_conflict"
  | "zone_not_found"
  | "invalid_ingress";

export interface CloudflareErrorInit {
  kind: CloudflareErrorKind;
  operation: string;
  status?: number | undefined;
  code?: number | undefined;
  codes?: number[] | undefined;
  retryable?: boolean | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/**
 * The only error type the gateway throws. Messages carry ids, hostnames and Cloudflare's own
 * error texts, never a token.
 */
export class CloudflareError extends Error {
  readonly kind: CloudflareErrorKind;
  /** The gateway operation that failed, e.g. `ensureDnsRecord`. */
  readonly operation: string;
  /** HTTP status from Cloudflare; undefined when no response was received. */
  readonly status: number | undefined;
  /** The first Cloudflare error code of the envelope (e.g. 1013, 81053, 971). */
  readonly code: number | undefined;
  /** Every Cloudflare error code of the envelope. */
  readonly codes: number[];
  /** Whether trying the same call again later may succeed. */
  readonly retryable: boolean;
  /** For rate limiting: how long Cloudflare asked us to wait. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, init: CloudflareErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "CloudflareError";
    this.kind = init.kind;
    this.operation = init.operation;
    this.status = init.status;
    this.codes = init.codes ?? (init.code === undefined ? [] : [init.code]);
    this.code = init.code ?? this.codes[0];
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.retryable ?? false;
  }
}

/** HTTP statuses worth retrying later (the gateway already retried them where safe). */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/** Parses `Retry-After-Ms` / `Retry-After` (seconds or HTTP date) into milliseconds. */
export function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "") {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers.get("retry-after");
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describeApiErrors(error: APIError): string {
  const entries = Array.isArray(error.errors) ? error.errors : [];
  if (entries.length === 0) return "no error details";
  return entries.map((entry) => `${entry.code ?? "?"}: ${entry.message ?? ""}`).join("; ");
}

/** Converts whatever the SDK (or our transport) threw into a `CloudflareError`. */
export function toCloudflareError(error: unknown, operation: string, now: number): CloudflareError {
  if (error instanceof CloudflareError) return error;
  // Our transport throws CloudflareError (e.g. "paused by Retry-After"); the SDK wraps anything a
  // fetch throws into APIConnectionError with the original as `cause`.
  if (error instanceof APIConnectionError) {
    const cause = error.cause;
    if (cause instanceof CloudflareError) {
      return new CloudflareError(cause.message, {
        kind: cause.kind,
        operation,
        status: cause.status,
        codes: cause.codes,
        retryable: cause.retryable,
        retryAfterMs: cause.retryAfterMs,
      });
    }
    return new CloudflareError(
      `Cloudflare ${operation} failed: no response from the API (${error.message})`,
      { kind: "network", operation, retryable: true, cause: error },
    );
  }
  if (error instanceof APIError) {
    const status = error.status;
    const codes = (Array.isArray(error.errors) ? error.errors : [])
      .map((entry) => entry.code)
      .filter((code): code is number => typeof code === "number");
    const rateLimited = status === 429;
    const wait = rateLimited ? retryAfterMs(error.headers, now) : undefined;
    return new CloudflareError(
      `Cloudflare ${operation} failed: HTTP ${status ?? "?"} (${describeApiErrors(error)})`,
      {
        kind: rateLimited ? "rate_limited" : "api",
        operation,
        status,
        codes,
        retryable: isRetryableStatus(status),
        retryAfterMs: wait,
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CloudflareError(`Cloudflare ${operation} failed: ${message}`, {
    kind: "network",
    operation,
    retryable: true,
    cause: error,
  });
}

/** True for an HTTP error from Cloudflare with this status (and, if given, one of the codes). */
export function isApiStatus(error: unknown, status: number, codes?: number[]): boolean {
  if (!(error instanceof CloudflareError) || error.kind !== "api" || error.status !== status) {
    return false;
  }
  return codes === undefined || error.codes.some((code) => codes.includes(code));
}

/** True when the call may have reached Cloudflare without us learning the outcome. */
export function isAmbiguous(error: unknown): boolean {
  if (!(error instanceof CloudflareError)) return false;
  if (error.kind === "network") return true;
  return error.kind === "api" && error.status !== undefined && error.status >= 500;
}
