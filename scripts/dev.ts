// `pnpm dev`: runs the master, the agent and the flow manager from source with `tsx watch` (each
// restarts when its code changes), plus the Cloudflare stand-in when no CLOUDFLARE_API_TOKEN is
// configured, with embedded defaults for everything not configured (docs/operations.md, "Running
// locally"). Ctrl-C or SIGTERM stops every service and waits for them.
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Child, type ServiceSpec } from "./dev/child.ts";
import { agentKey, waitHealthy } from "./dev/master-api.ts";
import { loud } from "./dev/output.ts";
import { type DevPlan, planDev } from "./dev/plan.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const say = (line = "") => process.stdout.write(`${line}\n`);

let plan: DevPlan;
try {
  plan = planDev(root, process.env);
} catch (error) {
  say(`dev: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

const children: Child[] = [];
const stopping = new AbortController();
const width = "cloudflare".length;

function start(spec: ServiceSpec): Child {
  const child = new Child(spec, width);
  children.push(child);
  void child.exited.then((code) => {
    if (stopping.signal.aborted) return;
    say(loud(`dev: ${spec.name} exited (${code}); stopping everything`));
    void shutdown(1);
  });
  return child;
}

let shutdownStarted = false;
async function shutdown(code: number, signalled = false): Promise<never> {
  if (!shutdownStarted) {
    shutdownStarted = true;
    stopping.abort();
    say("dev: stopping all services");
    if (signalled) {
      // Ctrl-C (or a process-group kill) has reached every service already: let them stop by
      // themselves first, since tsx force-kills a service on a second signal.
      await Promise.race([
        Promise.all(children.map((child) => child.exited)),
        new Promise((resolve) => setTimeout(resolve, 10_000)),
      ]);
    }
    // The agent first (it still reaches the master), the Cloudflare stand-in last.
    for (const child of [...children].reverse()) await child.stop();
    say("dev: stopped");
    process.exit(code);
  }
  return new Promise<never>(() => undefined);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void shutdown(0, true));
}

/** The real cloudflared image when the engine has it, else the local stand-in (say which). */
async function cloudflaredImage(): Promise<string | undefined> {
  if (process.env.CLOUDFLARED_IMAGE) return undefined;
  const run = promisify(execFile);
  const has = (image: string) =>
    run("docker", ["image", "inspect", "--format", "{{.Id}}", image]).then(
      () => true,
      () => false,
    );
  if (await has("cloudflare/cloudflared:2025.9.0")) return undefined;
  if (await has("dockflow/cloudflared-standin:local")) return "dockflow/cloudflared-standin:local";
  return undefined;
}

const { ports, host, env } = plan;
const url = (port: number) => `http://${host}:${port}`;
const slow = (name: string) => () => say(loud(`dev: still waiting for ${name} to answer...`));

say("dev: starting dockflow from source (tsx watch: a service restarts when its code changes)");
for (const line of plan.defaults) say(`dev: default: ${line}`);
if (plan.adminTokenSource === "generated") {
  say(loud(`dev: generated MASTER_ADMIN_TOKEN=${plan.adminToken}`));
  say(`dev:   (saved in ${plan.adminTokenFile}; it is reused on the next runs)`);
} else if (plan.adminTokenSource === "file") {
  say(`dev: master admin token: the one saved in ${plan.adminTokenFile}`);
}
if (plan.sandbox) {
  say(
    loud(
      "dev: NO CLOUDFLARE_API_TOKEN: tunnels and DNS go to the Cloudflare STAND-IN " +
        `at ${url(ports.sandbox)}/client/v4 (in memory); nothing reaches Cloudflare`,
    ),
  );
}

async function main(): Promise<void> {
  const standin = await cloudflaredImage();
  if (standin) {
    env.agent.CLOUDFLARED_IMAGE = standin;
    say(
      `dev: default: agent connectors use ${standin} (cloudflare/cloudflared is not on this engine)`,
    );
  }

  if (plan.sandbox) {
    start({
      name: "cloudflare",
      cwd: join(root, "packages/cloudflare-sandbox"),
      entry: "src/server.ts",
      env: env.sandbox,
    });
    await waitHealthy(`${url(ports.sandbox)}/client/v4/user/tokens/verify`, {
      anyStatus: true,
      signal: stopping.signal,
      onSlow: slow("the Cloudflare stand-in"),
    });
  }
  start({ name: "master", cwd: join(root, "apps/master"), entry: "src/main.ts", env: env.master });
  start({
    name: "flow", // the flow manager
    cwd: join(root, "apps/flow-manager"),
    entry: "src/main.ts",
    env: env.flowManager,
  });
  await waitHealthy(`${url(ports.master)}/health`, {
    signal: stopping.signal,
    onSlow: slow("the master"),
  });

  if (!env.agent.AGENT_API_KEY) {
    try {
      const { key, id, reused } = await agentKey(
        url(ports.master),
        plan.adminToken,
        plan.agentKeyFile,
      );
      env.agent.AGENT_API_KEY = key;
      say(`dev: agent key ${id}: ${reused ? "reused" : "issued through POST /api/v2/keys"}`);
    } catch (error) {
      say(loud(`dev: could not get an agent key: ${(error as Error).message}`));
      return void (await shutdown(1));
    }
  }
  start({ name: "agent", cwd: join(root, "apps/agent"), entry: "src/main.ts", env: env.agent });
  start({
    name: "console",
    cwd: join(root, "apps/console"),
    entry: "index.html",
    env: env.console,
    bin: {
      name: "vite",
      args: [
        "--host",
        host,
        "--port",
        String(ports.console),
        "--strictPort",
        "--clearScreen",
        "false",
      ],
    },
  });

  await Promise.all([
    waitHealthy(`${url(ports.flowManager)}/health`, {
      signal: stopping.signal,
      onSlow: slow("the flow manager (is a Docker engine reachable?)"),
    }),
    waitHealthy(`${url(ports.agent)}/healthz`, {
      signal: stopping.signal,
      onSlow: slow("the agent"),
    }),
    waitHealthy(url(ports.console), {
      signal: stopping.signal,
      onSlow: slow("the console's dev server"),
    }),
  ]);

  say();
  say(loud("dev: dockflow is running"));
  say(`  master        ${url(ports.master)}   (API under /api/v2, health /health)`);
  say(`  flow manager  ${url(ports.flowManager)}   (Socket.IO, health /health)`);
  say(`  agent         ${url(ports.agent)}/healthz`);
  say(`  console       ${url(ports.console)}   (hot reload; sign in with the admin token)`);
  if (plan.sandbox) say(`  cloudflare    ${url(ports.sandbox)}/client/v4   (stand-in)`);
  say(`  data          ${plan.dataDir}`);
  say("Ctrl-C stops everything.");
  say();
}

main().catch((error: unknown) => {
  if (stopping.signal.aborted) return; // a shutdown is under way
  say(loud(`dev: ${error instanceof Error ? error.message : String(error)}`));
  void shutdown(1);
});
