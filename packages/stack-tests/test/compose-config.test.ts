import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  COMPOSE_FILE,
  type ComposeProject,
  compose,
  composeOk,
  REPO_ROOT,
  writeEnvFile,
} from "./compose.ts";

interface Service {
  image: string;
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  user?: string;
  volumes?: Array<string | { source?: string; target?: string }>;
}
interface ComposeConfig {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks: Record<string, { name?: string }>;
}

const SECRETS = {
  POSTGRES_PASSWORD: "config-test-postgres",
  MASTER_ADMIN_TOKEN: "config-test-admin-token",
  FLOW_MANAGER_TOKEN: "config-test-flow-token",
};

// What `docker compose config` makes of docker/compose.yaml: no engine needed, so this runs first
// and fails fast on a broken file.
describe("docker/compose.yaml", () => {
  let dir: string;
  const project = (env: string, profiles?: string[]): ComposeProject => ({
    name: "dockflow-config-test",
    files: [COMPOSE_FILE],
    envFile: join(dir, env),
    ...(profiles ? { profiles } : {}),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dockflow-compose-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function config(env: Record<string, string>): Promise<ComposeConfig> {
    await writeEnvFile(join(dir, "ok.env"), env);
    return parse(await composeOk(project("ok.env", ["sandbox", "socket-proxy"]), ["config"]));
  }

  it("is valid with only the secrets set, with health-based start order", async () => {
    const { services, volumes, networks } = await config(SECRETS);
    expect(Object.keys(services).sort()).toEqual([
      "agent",
      "agent-key",
      "cloudflare-sandbox",
      "docker-socket-proxy",
      "flow-manager",
      "master",
      "postgres",
    ]);
    expect(services["cloudflare-sandbox"]?.profiles).toEqual(["sandbox"]);
    expect(services["docker-socket-proxy"]?.profiles).toEqual(["socket-proxy"]);
    expect(services.master?.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(services["agent-key"]?.depends_on).toEqual({
      master: { condition: "service_healthy" },
    });
    expect(services.agent?.depends_on).toEqual({
      master: { condition: "service_healthy" },
      "agent-key": { condition: "service_completed_successfully" },
    });
    expect(services.postgres?.healthcheck?.test?.[1]).toBe("pg_isready");
    expect(Object.keys(volumes).sort()).toEqual([
      "agent-data",
      "agent-key",
      "flow-manager-data",
      "postgres-data",
    ]);
    expect(networks.default?.name).toBe("dockflow");
    // Public defaults for every image.
    expect(services.master?.image).toBe("dockflow/master:latest");
    expect(services.postgres?.image).toBe("postgres:16-alpine");
    // The master is the only holder of the database password and, with the one-shot, of the admin
    // token; the agent gets a key file, never the admin token.
    expect(services.master?.environment?.DATABASE_URL).toBe(
      "postgres://dockflow:config-test-postgres@postgres:5432/dockflow",
    );
    expect(services.agent?.environment?.MASTER_ADMIN_TOKEN).toBeUndefined();
    expect(services.agent?.environment?.AGENT_API_KEY_FILE).toBe("/run/dockflow/agent-key/key");
    expect(services["agent-key"]?.user).toBe("1000:1000");
  });

  it("takes image names, ports and the Docker endpoint from variables", async () => {
    const { services } = await config({
      ...SECRETS,
      DOCKFLOW_MASTER_IMAGE: "dockflow/master:local",
      DOCKFLOW_AGENT_IMAGE: "dockflow/agent:local",
      DOCKFLOW_FLOW_MANAGER_IMAGE: "dockflow/flow-manager:local",
      DOCKFLOW_CLOUDFLARE_SANDBOX_IMAGE: "dockflow/cloudflare-sandbox:local",
      POSTGRES_IMAGE: "dockflow/postgres-local:local",
      DOCKFLOW_DOCKER_HOST: "tcp://docker-socket-proxy:2375",
      DOCKFLOW_DOCKER_USER: "1000:1000",
      DOCKFLOW_FLOWS_DIR: "/srv/flows",
    });
    expect(services.master?.image).toBe("dockflow/master:local");
    expect(services.agent?.image).toBe("dockflow/agent:local");
    expect(services["agent-key"]?.image).toBe("dockflow/agent:local");
    expect(services["flow-manager"]?.image).toBe("dockflow/flow-manager:local");
    expect(services["cloudflare-sandbox"]?.image).toBe("dockflow/cloudflare-sandbox:local");
    expect(services.postgres?.image).toBe("dockflow/postgres-local:local");
    for (const name of ["agent", "flow-manager"]) {
      expect(services[name]?.environment?.DOCKER_HOST).toBe("tcp://docker-socket-proxy:2375");
      expect(services[name]?.user).toBe("1000:1000");
    }
    // Flow folders are host paths the engine binds into flows: same path inside and outside.
    const fm = services["flow-manager"]!;
    expect(fm.environment?.FLOW_ALLOWED_ROOTS).toBe("/srv/flows");
    expect(JSON.stringify(fm.volumes)).toContain("/srv/flows:/srv/flows");
  });

  it("refuses to run without the secrets, naming the missing one", async () => {
    const { MASTER_ADMIN_TOKEN: _omitted, ...rest } = SECRETS;
    await writeEnvFile(join(dir, "missing.env"), rest);
    const run = await compose(project("missing.env"), ["config"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("MASTER_ADMIN_TOKEN");
  });

  it("is valid with docker/.env.example as the env file", async () => {
    const example = await readFile(join(REPO_ROOT, "docker/.env.example"), "utf8");
    expect(example).toContain("COMPOSE_PROFILES=sandbox");
    const run = await compose(
      {
        name: "dockflow-config-test",
        files: [COMPOSE_FILE],
        envFile: join(REPO_ROOT, "docker/.env.example"),
      },
      ["config"],
    );
    expect(run.stderr).toBe("");
    const { services } = parse(run.stdout) as ComposeConfig;
    expect(services.master?.environment?.CLOUDFLARE_BASE_URL).toBe(
      "http://cloudflare-sandbox:8787/client/v4",
    );
    expect(services["cloudflare-sandbox"]?.environment?.CF_SANDBOX_TOKEN).toBe(
      services.master?.environment?.CLOUDFLARE_API_TOKEN,
    );
  });
});
