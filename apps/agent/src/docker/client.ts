import Docker from "dockerode";

/** A dockerode client for `host` (`unix:///path`, `tcp://host:port`), else the default socket. */
export function createDockerClient(host: string | undefined): Docker {
  if (!host) return new Docker();
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length) });
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
}
