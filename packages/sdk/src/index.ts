export {
  createFlowClient,
  type FlowCallOptions,
  type FlowClient,
  type FlowClientEventName,
  type FlowClientEvents,
  type FlowClientOptions,
  type FlowConnectionEvents,
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
export * from "./generated/flow-events.ts";
