import Docker from "dockerode";

/**
 * A dockerode client for `host` (`unix:///path`, `tcp://host:port`), else the default socket.
 * `timeoutMs` bounds each request, so a call to an engine that stops answering cannot hang the
 * agent; leave it unset for the long-lived event stream.
 */
export function createDockerClient(host: string | undefined, timeoutMs?: number): Docker {
  const timeout = timeoutMs === undefined ? {} : { timeout: timeoutMs };
  if (!host) return new Docker(timeout); // dockerode's defaults: the usual socket locations
  if (host.startsWith("unix://")) {
    return new Docker({ socketPath: host.slice("unix://".length), ...timeout });
  }
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), ...timeout });
}
