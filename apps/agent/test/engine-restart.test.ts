import { removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../src/index.ts";
import {
  agentEnv,
  type LogCapture,
  runLabelled as runLabelledWorkload,
  startTestAgent,
  tempDataDir,
  uniqueNames,
} from "./helpers/agent.ts";
import { ThrowawayEngine } from "./helpers/engine.ts";
import { FakeMaster } from "./helpers/fake-master.ts";

const names = uniqueNames("engine");

describe("engine restart", () => {
  const engine = new ThrowawayEngine();
  const master = new FakeMaster();
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let agent: RunningAgent;
  let logs: LogCapture;

  const runLabelled = (name: string, restart: "always" | "no") =>
    runLabelledWorkload(
      engine.docker,
      names.scopeLabel,
      name,
      { "dockflare.port": "80" },
      {
        RestartPolicy: { Name: restart },
      },
    );
  const health = async () =>
    (await (await fetch(`${agent.healthUrl}/readyz`)).json()) as {
      engine_reachable: boolean;
      engine_events_connected: boolean;
    };

  beforeAll(async () => {
    await engine.create();
    await master.listen();
    dataDir = await tempDataDir();
    ({ agent, logs } = await startTestAgent(
      agentEnv({
        masterUrl: master.url,
        apiKey: master.apiKey,
        dockerHost: engine.host,
        scope: names.scopeLabel,
        names,
        dataDir: dataDir.path,
      }),
    ));
  });

  afterAll(async () => {
    await agent?.close();
    await master.close();
    await removeLabelled(engine.docker).catch(() => undefined);
    await engine.destroy();
    await dataDir?.remove();
  });

  it("reconnects to the restarted engine, resyncs and keeps the connector", async () => {
    await waitFor(() => agent.agentId, { message: "registration" });
    const survivor = await runLabelled(`survivor-${names.id}`, "always");
    const casualty = await runLabelled(`casualty-${names.id}`, "no");
    const command = master.enqueue({
      action: "start_tunnel",
      tunnel_id: "tunnel_engine",
      tunnel_name: "tunnel-engine",
      token: `engine-token-${names.id}`,
      rules: {},
    });
    await waitFor(() => master.results(command.id)[0]?.success, { message: "connector started" });
    await waitFor(
      () =>
        master.eventsOf("container_start").filter((e) => e.container.name.endsWith(names.id))
          .length === 2,
      { message: "both containers reported" },
    );

    await engine.stop();
    await waitFor(async () => !(await health()).engine_reachable, { message: "engine seen down" });
    const eventsBefore = master.events.length;
    await engine.start();

    await waitFor(async () => (await health()).engine_events_connected, {
      message: "event stream reconnected",
    });
    // Resync: the container without a restart policy is reported stopped...
    await waitFor(
      () => master.eventsOf("container_stop").find((e) => e.container.id === casualty.id),
      { message: "casualty reported stopped" },
    );
    // ...the one that restarted is in a fresh status report, and live events flow again.
    await waitFor(
      () =>
        master.events
          .slice(eventsBefore)
          .find(
            (e) =>
              e.type === "status_report" &&
              e.container.containers.some((c) => c.id === survivor.id) &&
              !e.container.containers.some((c) => c.id === casualty.id),
          ),
      { message: "status report after the restart" },
    );
    const late = await runLabelled(`late-${names.id}`, "no");
    await waitFor(
      () => master.eventsOf("container_start").find((e) => e.container.id === late.id),
      {
        message: "live events after the restart",
      },
    );
    // The connector is running again (its restart policy, or the agent's reconcile).
    const connector = await waitFor(
      async () => {
        const info = await engine.docker.getContainer(names.connector).inspect();
        if (info.State.Running) return info;
        throw new Error(
          `connector ${JSON.stringify(info.State)}; agent: ${logs.lines
            .filter((l) => l.includes('"part":"connector"') || /"level":(40|50)/.test(l))
            .slice(-8)
            .join(" ")}`,
        );
      },
      { message: "connector running after the restart", timeoutMs: 60_000 },
    );
    expect(connector.Config.Env).toContain(`TUNNEL_TOKEN=engine-token-${names.id}`);
    await waitFor(
      () =>
        master.events
          .slice(eventsBefore)
          .find((e) => e.type === "tunnel_status" && e.container.status === "running"),
      { message: "connector reported running after the restart" },
    );
    expect(master.invalid).toEqual([]);
  });
});
