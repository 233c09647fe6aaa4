export { nextAttempt, type RetryPolicy, retryDelay } from "./backoff.ts";
export { type AttemptOutcome, type DeliveryRequest, sendDelivery } from "./send.ts";
export { signDelivery } from "./signature.ts";
export { type ReceivedDelivery, verifiedPayload } from "./verify.ts";
