import { type MasterClient, percentiles } from "./master-harness.ts";

/**
 * Simulated agents against a master, each going through an agent's life: its key issued by the
 * operator, registration, a heartbeat, a status report of what runs on its node, a command poll,
 * and a second heartbeat. Bounded concurrency, loopback only. Used by the test run (a few hundred
 * agents) and by bench/reliability-master-agents-10k.ts (10,000).
 */

export type Step =
  | "issue_key"
  | "register"
  | "heartbeat"
  | "status_report"
  | "poll"
  | "heartbeat_2";
const STEPS: Step[] = [
  "issue_key",
  "register",
  "heartbeat",
  "status_report",
  "poll",
  "heartbeat_2",
];

export interface LoadResult {
  agents: number;
  concurrency: number;
  seconds: number;
  requests: number;
  errors: { step: Step; detail: string }[];
  latency: Record<Step, ReturnType<typeof percentiles>>;
  agentIds: string[];
}

export async function simulateAgents(
  client: MasterClient,
  options: { agents: number; concurrency: number; tag: string },
): Promise<LoadResult> {
  const timings = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
  const errors: LoadResult["errors"] = [];
  const agentIds: string[] = [];
  let requests = 0;

  const timed = async (
    step: Step,
    run: () => Promise<{ status: number; text: string; json: unknown }>,
  ) => {
    const started = performance.now();
    requests += 1;
    try {
      const reply = await run();
      timings.get(step)!.push(performance.now() - started);
      if (reply.status < 200 || reply.status >= 300) {
        errors.push({ step, detail: `${reply.status} ${reply.text.slice(0, 200)}` });
        return undefined;
      }
      return reply.json;
    } catch (error) {
      errors.push({ step, detail: (error as Error).message });
      return undefined;
    }
  };

  const one = async (i: number) => {
    const name = `${options.tag}-${i}`;
    const issued = (await timed("issue_key", () =>
      client.request("POST", "/api/v2/keys", { token: client.admin, json: { name } }),
    )) as { key: string } | undefined;
    if (!issued) return;
    const registered = (await timed("register", () =>
      client.request("POST", "/api/v2/agents/register", {
        token: issued.key,
        json: {
          display_name: name,
          version: "1.0.0",
          mode: "standalone",
          node_info: { node_id: `${name}-node`, hostname: `${name}.local` },
        },
      }),
    )) as { agent_id: string } | undefined;
    if (!registered) return;
    const id = registered.agent_id;
    agentIds.push(id);
    const events = `/api/v2/agents/${id}/events`;
    await timed("heartbeat", () =>
      client.request("POST", events, { token: issued.key, json: { type: "heartbeat" } }),
    );
    await timed("status_report", () =>
      client.request("POST", events, {
        token: issued.key,
        json: {
          type: "status_report",
          event_id: `${name}-report-1`,
          container: {
            containers: [
              { id: `${name}-c1`, name: `${name}-db`, labels: { app: "db" }, status: "running" },
              { id: `${name}-c2`, name: `${name}-cache`, labels: {}, status: "running" },
            ],
          },
        },
      }),
    );
    await timed("poll", () =>
      client.request("GET", `/api/v2/agents/${id}/commands?wait=0`, { token: issued.key }),
    );
    await timed("heartbeat_2", () =>
      client.request("POST", events, { token: issued.key, json: { type: "heartbeat" } }),
    );
  };

  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < options.agents) await one(next++);
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const latency = Object.fromEntries(
    STEPS.map((s) => [s, percentiles(timings.get(s)!)]),
  ) as LoadResult["latency"];
  return {
    agents: options.agents,
    concurrency: options.concurrency,
    seconds,
    requests,
    errors,
    latency,
    agentIds,
  };
}

export function formatLoad(result: LoadResult): string {
  const rows = Object.entries(result.latency).map(
    ([step, p]) =>
      `  ${step.padEnd(14)} n=${String(p.count).padStart(6)}  p50=${p.p50.toFixed(1)} ms  p90=${p.p90.toFixed(1)} ms  p99=${p.p99.toFixed(1)} ms  max=${p.max.toFixed(1)} ms`,
  );
  return [
    `agents=${result.agents} concurrency=${result.concurrency} requests=${result.requests} errors=${result.errors.length} seconds=${result.seconds.toFixed(1)} rate=${(result.requests / result.seconds).toFixed(0)} req/s`,
    ...rows,
  ].join("\n");
}
