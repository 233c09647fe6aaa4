import {
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from "@dockflow/protocol";
import { signDelivery } from "./signature.ts";

const MAX_ERROR_LENGTH = 500;

export interface DeliveryRequest {
  url: string;
  secret: string;
  /** The raw JSON body, signed and sent as is. */
  body: string;
  event: string;
  deliveryId: string;
  /** `user-agent` of the request, e.g. `dockflow-master`. */
  userAgent: string;
  /** When the attempt is signed (its timestamp header). */
  now: Date;
  timeoutMs: number;
  /** Abandons the attempt (the service is stopping). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** The outcome of one attempt: `error` is null when the receiver answered 2xx. */
export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
}

/**
 * One attempt at a delivery: POSTs the signed body (redirects not followed) and reports the
 * answer. Never throws; neither the URL nor the secret appears in the outcome.
 */
export async function sendDelivery(request: DeliveryRequest): Promise<AttemptOutcome> {
  const timestamp = Math.floor(request.now.getTime() / 1000);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  try {
    const response = await (request.fetch ?? fetch)(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": request.userAgent,
        [WEBHOOK_SIGNATURE_HEADER]: signDelivery(request.secret, timestamp, request.body),
        [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
        [WEBHOOK_EVENT_HEADER]: request.event,
        [WEBHOOK_DELIVERY_HEADER]: request.deliveryId,
      },
      body: request.body,
      redirect: "manual",
      signal,
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) {
      return { statusCode: response.status, error: null };
    }
    return { statusCode: response.status, error: `receiver answered HTTP ${response.status}` };
  } catch (error) {
    return { statusCode: null, error: describeFailure(error, request.timeoutMs) };
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const message = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return `request failed: ${message}`.slice(0, MAX_ERROR_LENGTH);
}
