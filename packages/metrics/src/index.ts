export { type MetricsListenOptions, metricsEnv, metricsListenOptions } from "./config.ts";
export { parseExposition, type Sample, sampleValue, scraper } from "./parse.ts";
export { createRegistry } from "./registry.ts";
export { bearerMatches, type MetricsServer, startMetricsServer } from "./server.ts";
