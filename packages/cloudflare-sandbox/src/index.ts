export {
  type CfErrorDetail,
  Codes,
  type ResultInfo,
} from "./envelope.ts";
export { ingressProblem } from "./ingress.ts";
export {
  API_PREFIX,
  type CloudflareSandbox,
  type CloudflareSandboxOptions,
  type ConnectionInput,
  type ConnectorInput,
  createCloudflareSandbox,
  DEFAULT_ACCESS_TEAM,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_RATE_LIMIT,
  DEFAULT_TOKEN,
  type FailureInjection,
  IN_PROCESS_BASE_URL,
  type ListeningSandbox,
  type ListenOptions,
  type RateLimit,
  type SandboxFetch,
} from "./sandbox.ts";
export type { IngressRule, TunnelConfig, TunnelStatus } from "./schemas.ts";
export type {
  AccessApp,
  AccessOrganization,
  AccessPolicy,
  Account,
  Connector,
  DnsRecord,
  RequestLogEntry,
  SandboxState,
  TokenGrant,
  Tunnel,
  TunnelConfiguration,
  TunnelConnection,
  Zone,
} from "./state.ts";
