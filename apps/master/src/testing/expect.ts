import { ApiError } from "@dockflow/protocol";
import { expect } from "vitest";

/** Asserts the protocol's error body with that status and code; returns it. */
export async function expectApiError(response: Response, status: number, code: string) {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  const body = ApiError.parse(JSON.parse(text));
  expect(body.error).toBe(code);
  return body;
}

export async function json<T = Record<string, unknown>>(
  response: Response,
  status = 200,
): Promise<T> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  return JSON.parse(text) as T;
}

export const startEvent = (name: string, labels: Record<string, string>, extra = {}) => ({
  type: "container_start",
  container: { name, labels, status: "running", ...extra },
});

export const webLabels = (hostname: string, port = "8080") => ({
  "dockflare.enable": "true",
  "dockflare.hostname": hostname,
  "dockflare.port": port,
});
