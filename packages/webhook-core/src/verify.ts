import { timingSafeEqual } from "node:crypto";
import {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookPayload,
} from "@dockflow/protocol";
import { signDelivery } from "./signature.ts";

/** A delivery as a receiver got it: its headers (lower-case names) and its raw body. */
export interface ReceivedDelivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Checks a delivery's signature the way docs/notifications.md tells receivers to (without the
 * age check, which is the receiver's policy) and parses its body; throws when it does not verify.
 */
export function verifiedPayload(request: ReceivedDelivery, secret: string): WebhookPayload {
  const timestamp = request.headers[WEBHOOK_TIMESTAMP_HEADER];
  const signature = request.headers[WEBHOOK_SIGNATURE_HEADER];
  if (typeof timestamp !== "string" || typeof signature !== "string") {
    throw new Error("signature or timestamp header missing");
  }
  const expected = Buffer.from(signDelivery(secret, Number(timestamp), request.body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new Error("signature mismatch");
  }
  return WebhookPayload.parse(JSON.parse(request.body));
}
