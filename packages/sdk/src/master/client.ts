import createClient, {
  type Client,
  type FetchResponse,
  type MaybeOptionalInit,
  type Middleware,
} from "openapi-fetch";
import type { HttpMethod, PathsWithMethod, RequiredKeysOf } from "openapi-typescript-helpers";
import { MASTER_API_PREFIX, type paths } from "../generated/master-api.ts";
import { MasterApiError } from "./errors.ts";

type Media = `${string}/${string}`;
type Paths = paths;

/** A call's options: `params` (`path`, `query`), `body`, `headers`, `signal`, ... (openapi-fetch's). */
type InitParam<Init> =
  RequiredKeysOf<Init> extends never
    ? [(Init & { [key: string]: unknown })?]
    : [Init & { [key: string]: unknown }];

/** The success body of `method path` (undefined for 204). */
export type MasterResponse<
  P extends PathsWithMethod<Paths, M>,
  M extends HttpMethod,
  Init = Record<never, never>,
> = Extract<FetchResponse<OperationOf<P, M>, Init, Media>, { error?: never }>["data"];

/** The operation object of `method path` (distributing drops the `undefined` of optional keys). */
type OperationOf<P extends keyof Paths, M extends HttpMethod> = Paths[P][M] extends infer O
  ? O extends Record<string | number, unknown>
    ? O
    : never
  : never;

/** One HTTP method: every path that has it, typed from the master's OpenAPI document. */
export type MasterMethod<M extends HttpMethod> = <
  P extends PathsWithMethod<Paths, M>,
  Init extends MaybeOptionalInit<Paths[P], M>,
>(
  path: P,
  ...init: InitParam<Init>
) => Promise<MasterResponse<P, M, Init>>;

export interface MasterClientOptions {
  /** The master's URL, e.g. `http://localhost:8080` (the `/api/v2` prefix is added when missing). */
  baseUrl: string;
  /** `Authorization: Bearer` token: the admin token (MASTER_ADMIN_TOKEN) or an agent key. */
  token?: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (default: the global fetch). */
  fetch?: (input: Request) => Promise<Response>;
  /**
   * In a browser signed in to the master (`POST /session`): `"include"` (or `"same-origin"`) makes
   * fetch send the HttpOnly session cookie.
   */
  credentials?: "include" | "same-origin" | "omit";
  /**
   * The session's CSRF token (`csrf_token` of `POST`/`GET /session`), sent as `X-CSRF-Token` on every
   * request that changes state; a function is asked on each request (it may change at sign-in).
   */
  csrfToken?: string | (() => string | undefined);
}

/** Methods that change nothing: they never carry the CSRF token. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Adds `X-CSRF-Token` to state-changing requests. */
function csrfMiddleware(token: string | (() => string | undefined)): Middleware {
  return {
    onRequest({ request }) {
      const value = typeof token === "function" ? token() : token;
      if (value !== undefined && !SAFE_METHODS.has(request.method)) {
        request.headers.set("X-CSRF-Token", value);
      }
      return request;
    },
  };
}

export interface MasterClient {
  /** Resolve with the success body; reject with `MasterApiError` on any other status. */
  GET: MasterMethod<"get">;
  POST: MasterMethod<"post">;
  PUT: MasterMethod<"put">;
  PATCH: MasterMethod<"patch">;
  DELETE: MasterMethod<"delete">;
  /** The openapi-fetch client underneath: `{data, error, response}` instead of throwing. */
  readonly raw: Client<Paths, Media>;
  /** The same client (credentials, CSRF token too) with another token (e.g. an agent key). */
  withToken(token: string | undefined): MasterClient;
}

function apiBase(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  return trimmed.endsWith(MASTER_API_PREFIX) ? trimmed : `${trimmed}${MASTER_API_PREFIX}`;
}

/** A typed REST client for the master (`/api/v2`), over openapi-fetch. */
export function createMasterClient(options: MasterClientOptions): MasterClient {
  const raw = createClient<Paths, Media>({
    baseUrl: apiBase(options.baseUrl),
    headers: {
      ...options.headers,
      ...(options.token !== undefined && { Authorization: `Bearer ${options.token}` }),
    },
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.credentials && { credentials: options.credentials }),
  });
  if (options.csrfToken !== undefined) raw.use(csrfMiddleware(options.csrfToken));

  const method =
    <M extends HttpMethod>(name: Uppercase<M> & keyof Client<Paths, Media>): MasterMethod<M> =>
    async (path, ...init) => {
      // biome-ignore lint/suspicious/noExplicitAny: openapi-fetch's per-method generics
      const call = raw[name] as (path: string, init?: unknown) => Promise<any>;
      const { data, error, response } = await call(path, init[0]);
      if (!response.ok) {
        throw new MasterApiError(response.status, error, `${name} ${path}`);
      }
      return data;
    };

  return {
    GET: method<"get">("GET"),
    POST: method<"post">("POST"),
    PUT: method<"put">("PUT"),
    PATCH: method<"patch">("PATCH"),
    DELETE: method<"delete">("DELETE"),
    raw,
    withToken: (token) => {
      const { token: _previous, ...rest } = options;
      return createMasterClient(token === undefined ? rest : { ...rest, token });
    },
  };
}

export type { Middleware as MasterMiddleware };
