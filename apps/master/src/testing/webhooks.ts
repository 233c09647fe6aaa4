import { createHmac, timingSafeEqual } from "node:crypto";
import {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type WebhookPayload,
  WebhookPayload as WebhookPayloadSchema,
} from "@dockflow/protocol";
import type { ReceivedRequest } from "@dockflow/testkit";

/** Test-only: checks a delivery the way docs/notifications.md tells receivers to, and parses it. */
export function verifiedPayload(request: ReceivedRequest, secret: string): WebhookPayload {
  const timestamp = request.headers[WEBHOOK_TIMESTAMP_HEADER];
  const signature = request.headers[WEBHOOK_SIGNATURE_HEADER];
  if (typeof timestamp !== "string" || typeof signature !== "string") {
    throw new Error("signature or timestamp header missing");
  }
  const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex")}`;
  const a = Buffer.from(signature);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new Error("signature mismatch");
  return WebhookPayloadSchema.parse(JSON.parse(request.body));
}

export const WEBHOOK_SECRET = "receiver-secret-0123456789";
