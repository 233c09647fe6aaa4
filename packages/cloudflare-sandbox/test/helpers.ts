import Cloudflare, { APIError, type ClientOptions } from "cloudflare";
import {
  type CloudflareSandbox,
  type CloudflareSandboxOptions,
  createCloudflareSandbox,
} from "../src/index.ts";

export interface Harness {
  sandbox: CloudflareSandbox;
  /** SDK client wired to the sandbox in-process, without retries. */
  cf: Cloudflare;
  account_id: string;
  /** Another SDK client on the same sandbox with different options. */
  client(options?: ClientOptions): Cloudflare;
}

export function harness(options: CloudflareSandboxOptions = {}): Harness {
  const sandbox = createCloudflareSandbox({ zones: ["example.com"], ...options });
  const client = (clientOptions: ClientOptions = {}) =>
    new Cloudflare({
      apiToken: sandbox.token,
      baseURL: sandbox.baseURL,
      fetch: sandbox.fetch,
      maxRetries: 0,
      ...clientOptions,
    });
  return { sandbox, cf: client(), account_id: sandbox.accountId, client };
}

/** Awaits `promise`, which must fail with an API error, and returns that error. */
export async function apiFailure(promise: PromiseLike<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
  throw new Error("expected the call to fail with an API error");
}

/** The `code`s of an API error's envelope. */
export function codes(error: APIError): Array<number | undefined> {
  return error.errors.map((entry) => entry.code);
}

/** A raw request to the sandbox (for what the SDK refuses to send). */
export async function raw(
  sandbox: CloudflareSandbox,
  method: string,
  path: string,
  { token = sandbox.token as string | null, body }: { token?: string | null; body?: string } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  const response = await sandbox.fetch(`${sandbox.baseURL}${path}`, init);
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}
