import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** One entry of the `errors` array of a Cloudflare v4 envelope. */
export interface CfErrorDetail {
  code: number;
  message: string;
  error_chain?: CfErrorDetail[];
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

/** Error codes the sandbox answers with (see docs/cloudflare-sandbox.md). */
export const Codes = {
  invalidRequestHeaders: 6003,
  invalidAuthorizationFormat: 6111,
  malformedJson: 6007,
  authenticationError: 10000,
  internalError: 10001,
  invalidObjectIdentifier: 7003,
  noRoute: 7000,
  tunnelInvalidRequest: 1001,
  tunnelNotFound: 1003,
  tunnelNameTaken: 1013,
  tunnelHasConnections: 1022,
  badConfiguration: 1056,
  zoneInvalidRequest: 1001,
  dnsInvalidName: 9000,
  dnsInvalidContent: 9005,
  dnsNotProxiable: 9004,
  dnsInvalidTtl: 9021,
  dnsInvalidBody: 9207,
  dnsRecordNotFound: 81044,
  dnsCnameConflict: 81053,
  dnsCnameExists: 81054,
  dnsIdenticalRecord: 81057,
  rateLimited: 971,
  accessInvalidRequest: 12130,
  accessNotFound: 12135,
  accessConflict: 12131,
} as const;

/**
 * A failure answered as a Cloudflare envelope. Throw it from any handler or middleware; the
 * app's error handler turns it into `{success:false, errors, messages:[], result:null}`.
 */
export class CfApiError extends Error {
  readonly status: number;
  readonly errors: CfErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    errors: CfErrorDetail | CfErrorDetail[],
    headers: Record<string, string> = {},
  ) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => `${e.code}: ${e.message}`).join("; "));
    this.name = "CfApiError";
    this.status = status;
    this.errors = list;
    this.headers = headers;
  }
}

export function apiError(status: number, code: number, message: string): CfApiError {
  return new CfApiError(status, { code, message });
}

export function ok(
  c: Context,
  result: unknown,
  { status = 200, resultInfo }: { status?: number; resultInfo?: ResultInfo } = {},
): Response {
  const body: Record<string, unknown> = { success: true, errors: [], messages: [], result };
  if (resultInfo) body.result_info = resultInfo;
  return c.json(body, status as ContentfulStatusCode);
}

export function failure(c: Context, error: CfApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(
    { success: false, errors: error.errors, messages: [], result: null },
    error.status as ContentfulStatusCode,
  );
}

/** Slices `items` for `page`/`per_page`; a page past the end is empty (the SDK stops there). */
export function paginate<T>(
  items: readonly T[],
  page: number,
  perPage: number,
): { result: T[]; resultInfo: ResultInfo } {
  const start = (page - 1) * perPage;
  const result = items.slice(start, start + perPage);
  return {
    result,
    resultInfo: {
      page,
      per_page: perPage,
      count: result.length,
      total_count: items.length,
      total_pages: Math.ceil(items.length / perPage),
    },
  };
}
