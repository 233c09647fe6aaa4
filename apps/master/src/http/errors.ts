import { type ApiError, type ApiErrorCode, issuesOf } from "@dockflow/protocol";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import type { z } from "zod";
import { CloudflareError } from "../cloudflare/index.ts";
import { InvalidCursorError } from "../services/pagination.ts";

/** A failure a handler or service throws on purpose; becomes the protocol's error body. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: Pick<ApiError, "issues" | "retry_after"> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, "not_found", `${what} not found`);

export function errorResponse(c: Context, status: ContentfulStatusCode, body: ApiError) {
  if (body.retry_after !== undefined) c.header("Retry-After", String(body.retry_after));
  return c.json(body, status);
}

const TARGETS: Record<string, string> = {
  json: "request body",
  query: "query string",
  param: "path",
  header: "headers",
};

/** The validation hook of every route: a wrong field is a 400 that names the field. */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError; target: string },
  c: Context,
) {
  if (result.success) return;
  return errorResponse(c, 400, {
    error: "validation_error",
    message: `invalid ${TARGETS[result.target] ?? result.target}`,
    issues: issuesOf(result.error),
  });
}

const STATUS_CODES: Partial<Record<number, ApiErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "bad_request",
  429: "rate_limited",
  503: "unavailable",
};

/** Connection-level failures of the database (server down, restarting, unreachable). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    // ECONNREFUSED & co from the socket; SQLSTATE class 08 (connection exception), 57P01-57P03
    // (admin shutdown, crash shutdown, cannot connect now).
    if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EPIPE|08...|57P0[123])$/.test(code))
      return true;
  }
  return (
    typeof message === "string" &&
    /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect/.test(
      message,
    )
  );
}

/** Turns anything thrown into the protocol's error body; unexpected errors are logged, not echoed. */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof InvalidCursorError) {
      return errorResponse(c, 400, {
        error: "validation_error",
        message: "invalid query string",
        issues: [{ path: "cursor", message: error.message }],
      });
    }
    if (error instanceof HttpError) {
      return errorResponse(c, error.status, {
        error: error.code,
        message: error.message,
        ...error.extra,
      });
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      const message =
        status === 400 && /json/i.test(error.message)
          ? "malformed JSON in request body"
          : error.message || "request failed";
      return errorResponse(c, status, { error: STATUS_CODES[status] ?? "bad_request", message });
    }
    if (error instanceof CloudflareError) {
      logger.warn(
        {
          path: c.req.path,
          method: c.req.method,
          operation: error.operation,
          status: error.status,
          code: error.code,
        },
        "Cloudflare request failed",
      );
      return errorResponse(c, 502, {
        error: "upstream_error",
        message: `Cloudflare request failed: ${error.message}`,
      });
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn(
        { path: c.req.path, method: c.req.method, code: (error as { code?: string }).code },
        "database unavailable",
      );
      return errorResponse(c, 503, {
        error: "unavailable",
        message: "the database is unavailable; retry later",
        retry_after: 5,
      });
    }
    logger.error({ err: error, path: c.req.path, method: c.req.method }, "request failed");
    return errorResponse(c, 500, { error: "internal_error", message: "internal error" });
  };
}
