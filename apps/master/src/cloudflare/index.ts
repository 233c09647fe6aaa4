/**
 * The master's Cloudflare client: tunnels, their ingress and DNS records, through the official
 * SDK, inside the request budget, with our own retry policy. See docs/cloudflare.md.
 */
export { type BudgetLimit, DEFAULT_BUDGET } from "./budget.ts";
export { CloudflareError, type CloudflareErrorKind } from "./errors.ts";
export {
  type CloudflareGateway,
  type CloudflareGatewayOptions,
  createCloudflareGateway,
  DEFAULT_ZONE_CACHE_TTL_MS,
} from "./gateway.ts";
export { type ManagedIngressRule, markIngress, ruleKey } from "./ingress.ts";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./transport.ts";
