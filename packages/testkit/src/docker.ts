import { randomBytes } from "node:crypto";
import Docker from "dockerode";

/** The label every test-created Docker object carries; its value is the run id. */
export const TEST_LABEL = "dockflow.test";

/** One id per test process, so cleanup removes only what this run created. */
export const testRunId = `${process.pid}-${randomBytes(3).toString("hex")}`;

export function testLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { [TEST_LABEL]: testRunId, ...extra };
}

/**
 * Creates and starts a long-running busybox container carrying `labels` and this run's test label
 * (the workload of discovery tests); `hostConfig` adds to `{ Init: true }`.
 */
export async function runLabelledContainer(
  docker: Docker,
  name: string,
  labels: Record<string, string>,
  hostConfig: Docker.HostConfig = {},
): Promise<Docker.Container> {
  const container = await docker.createContainer({
    name,
    Image: "dockflow-base/busybox:local",
    Cmd: ["sleep", "3600"],
    Labels: testLabels(labels),
    HostConfig: { Init: true, ...hostConfig },
  });
  await container.start();
  return container;
}

/** A dockerode client for `host` (`unix:///path` or `tcp://host:port`), else DOCKER_HOST / the default socket. */
export function dockerFor(host: string | undefined = process.env.DOCKER_HOST): Docker {
  if (!host) return new Docker();
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length) });
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
}

/** Removes every service, container, network and volume carrying this run's test label. */
export async function removeLabelled(docker: Docker, runId = testRunId): Promise<void> {
  const filters = JSON.stringify({ label: [`${TEST_LABEL}=${runId}`] });
  // Services exist only on a Swarm manager (a worker cannot list them).
  const manager = await docker
    .info()
    .then(
      (info: { Swarm?: { ControlAvailable?: boolean } }) => info.Swarm?.ControlAvailable === true,
    );
  if (manager) {
    for (const service of await docker.listServices({ filters })) {
      await docker
        .getService(service.ID)
        .remove()
        .catch(() => undefined);
    }
  }
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) {
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
  }
}
