export { type RunningFlowManager, SERVER_VERSION, startFlowManager } from "./app.ts";
export { Config, configFrom, type FlowManagerConfig, loadConfig } from "./config.ts";
export { computeUsage } from "./stats.ts";
