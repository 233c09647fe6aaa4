import { createHmac } from "node:crypto";

/**
 * The signature of a delivery: HMAC-SHA256 with the webhook's secret over `${timestamp}.${body}`
 * (the timestamp in Unix seconds, as sent in `X-Dockflow-Timestamp`), as `sha256=<hex>`. Signing
 * the timestamp lets a receiver refuse a replayed old delivery.
 */
export function signDelivery(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
  return `sha256=${mac}`;
}
