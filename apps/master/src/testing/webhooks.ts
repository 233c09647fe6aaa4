/** Test-only: checks a delivery the way docs/notifications.md tells receivers to, and parses it. */
export { verifiedPayload } from "@dockflow/webhook-core";

export const WEBHOOK_SECRET = "receiver-secret-0123456789";
