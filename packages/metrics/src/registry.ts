import { collectDefaultMetrics, Registry } from "prom-client";

/** A registry of its own (never prom-client's global one) with the Node process defaults. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
