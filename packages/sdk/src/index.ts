export {
  createFlowClient,
  type FlowCallOptions,
  type FlowClient,
  type FlowClientEventName,
  type FlowClientEvents,
  type FlowClientOptions,
  type FlowConnectionEvents,
  type FlowGetLogsOptions,
  type FlowReconnectionOptions,
  type FlowRequestOptions,
} from "./flow/client.ts";
export {
  FlowClosedError,
  FlowConnectionError,
  FlowError,
  FlowTimeoutError,
  isFlowError,
} from "./flow/errors.ts";
export type {
  FlowExecCallOptions,
  FlowExecOptions,
  FlowExecOutput,
  FlowExecSession,
} from "./flow/exec.ts";
export type { FlowLogStream, FlowLogsOptions } from "./flow/logs.ts";
export * from "./generated/flow-events.ts";
export * from "./generated/master-api.ts";
export {
  createMasterClient,
  type MasterClient,
  type MasterClientOptions,
  type MasterMethod,
  type MasterResponse,
} from "./master/client.ts";
export { isMasterApiError, MasterApiError } from "./master/errors.ts";
