import { ingressProblem } from "@dockflow/cloudflare-sandbox";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hostileHostname,
  hostileLabelValue,
  isCleanHostname,
  isCleanService,
} from "../src/master-fuzz.ts";
import {
  cloudflareNames,
  isDocumentedClientError,
  SANDBOX_ZONES,
  startTestMaster,
  type TestMaster,
} from "../src/master-harness.ts";
import { FUZZ_RUNS, FUZZ_SEED } from "../src/runs.ts";

/**
 * Label values that try to inject into ingress rules or DNS names (newlines, YAML and JSON
 * fragments, ports, paths, unicode look-alikes, `*` in the wrong place), sent as container_start
 * and status_report events. The master may accept the event (with warnings) or refuse it with a
 * documented 4xx; either way, nothing it writes to the Cloudflare stand-in may carry an injected
 * value: every ingress hostname and DNS name is a clean hostname the labels really asked for,
 * every service a clean origin, every configuration valid, and nothing named `evil` anywhere.
 */

const TIMEOUT = Math.max(120_000, FUZZ_RUNS * 300);

const labelsArb = fc.record(
  {
    hostname: hostileHostname,
    port: hostileLabelValue(["80", "8080", "443"]),
    service: hostileLabelValue(["http://web:80", "https://api.internal:8443", "http_status:404"]),
    path: hostileLabelValue(["/api", "/v1/items", "^/static/.*$"]),
    zonename: hostileLabelValue(["example.com", "example.org"]),
    indexed: hostileHostname,
    name: hostileLabelValue(["web", "api-1", "svc.internal"]),
  },
  { requiredKeys: ["hostname", "name"] },
);

type Labels = typeof labelsArb extends fc.Arbitrary<infer T> ? T : never;

function toContainer(labels: Labels, n: number) {
  const map: Record<string, string> = {
    "dockflare.enable": "true",
    "dockflare.hostname": labels.hostname,
  };
  if (labels.port !== undefined) map["dockflare.port"] = labels.port;
  if (labels.service !== undefined) map["dockflare.service"] = labels.service;
  if (labels.path !== undefined) map["dockflare.path"] = labels.path;
  if (labels.zonename !== undefined) map["dockflare.zonename"] = labels.zonename;
  if (labels.indexed !== undefined) map["dockflare.0.hostname"] = labels.indexed;
  // Names cycle, so a relabelled container replaces its rules instead of piling them up.
  return {
    id: `fuzz-${n % 40}`,
    name: `${labels.name}`.slice(0, 200) || "x",
    labels: map,
    status: "running",
  };
}

function hasControlOrSpace(text: string): boolean {
  return [...text].some((c) => /\s/.test(c) || c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127);
}

/** The hostnames that the labels could legitimately produce (after trim, lower case, no final dot). */
function cleanCandidates(labels: Labels): string[] {
  return [labels.hostname, labels.indexed]
    .filter((h): h is string => h !== undefined)
    .map((h) => h.trim().toLowerCase().replace(/\.$/, ""))
    .filter(isCleanHostname);
}

describe("label injection into ingress rules and DNS names", () => {
  let master: TestMaster;
  let agent: { agentId: string; key: string };
  const allowed = new Set<string>();
  let sent = 0;
  let refused = 0;
  let warned = 0;

  beforeAll(async () => {
    master = await startTestMaster({
      extra: { LOG_LEVEL: "silent", GRACE_PERIOD_SECONDS: "1", SWEEP_INTERVAL_SECONDS: "1" },
    });
    master.client.record = false;
    agent = await master.client.newAgent("labels");
  }, 120_000);

  afterAll(async () => {
    if (master) {
      const names = cloudflareNames(master.cf.sandbox);
      console.info(
        `[reliability] label injection: events=${sent} refused_4xx=${refused} accepted_with_warnings=${warned} ingress_hostnames=${new Set(names.ingress).size} dns_records=${names.dns.length} runs=${FUZZ_RUNS} seed=${FUZZ_SEED}`,
      );
      await master.close();
    }
  }, 120_000);

  /** Reconciles, then checks everything in the Cloudflare stand-in. */
  async function checkCloudflare() {
    await master.client.ok("POST", "/api/v2/reconcile");
    const { sandbox } = master.cf;
    const problems: string[] = [];
    for (const configuration of sandbox.state.configurations.values()) {
      if (!configuration.config) continue;
      const problem = ingressProblem(configuration.config);
      if (problem) problems.push(`invalid configuration: ${problem}`);
      for (const rule of configuration.config.ingress) {
        if (rule.hostname === undefined || rule.hostname === "" || rule.hostname === "*") continue;
        if (!isCleanHostname(rule.hostname))
          problems.push(`ingress hostname ${JSON.stringify(rule.hostname)}`);
        if (!allowed.has(rule.hostname))
          problems.push(`ingress hostname never asked for: ${rule.hostname}`);
        if (!isCleanService(rule.service) && !rule.service.startsWith("http_status:")) {
          problems.push(`ingress service ${JSON.stringify(rule.service)}`);
        }
        if (rule.path !== undefined && hasControlOrSpace(rule.path)) {
          problems.push(`ingress path ${JSON.stringify(rule.path)}`);
        }
      }
    }
    for (const record of sandbox.state.dnsRecords.values()) {
      if (!isCleanHostname(record.name)) problems.push(`DNS name ${JSON.stringify(record.name)}`);
      if (!allowed.has(record.name)) problems.push(`DNS name never asked for: ${record.name}`);
      if (!SANDBOX_ZONES.some((z) => record.name === z || record.name.endsWith(`.${z}`))) {
        problems.push(`DNS name outside the zones: ${record.name}`);
      }
      if (!/^[0-9a-f-]+\.cfargotunnel\.com$/.test(record.content)) {
        problems.push(`DNS content ${JSON.stringify(record.content)}`);
      }
    }
    // Hostnames and DNS names are checked above (clean, and asked for: `app4.example.com` with
    // `.evil.example.com` appended is a legal hostname its label asked for). Services and origin
    // options must never carry an injected name.
    const everything = JSON.stringify(
      [...sandbox.state.configurations.values()].map((c) =>
        (c.config?.ingress ?? []).map((r) => [r.service, r.originRequest ?? null]),
      ),
    );
    const evil = everything.match(/.{0,80}evil.{0,80}/gi);
    if (evil)
      problems.push(`an injected 'evil' name reached an ingress service: ${evil.join(" | ")}`);
    const rules = await master.client.ok<{ rules: { hostname: string }[] }>("GET", "/api/v2/rules");
    for (const rule of rules.rules) {
      if (!isCleanHostname(rule.hostname))
        problems.push(`rule hostname ${JSON.stringify(rule.hostname)}`);
    }
    expect(problems).toEqual([]);
  }

  async function send(body: unknown) {
    const text = JSON.stringify(body);
    sent += 1;
    const reply = await master.client.request("POST", `/api/v2/agents/${agent.agentId}/events`, {
      token: agent.key,
      body: text,
    });
    if (reply.status === 200) {
      if ((reply.json as { warnings?: unknown[] }).warnings) warned += 1;
    } else {
      refused += 1;
      if (!isDocumentedClientError(reply)) {
        throw new Error(
          `expected 200 or a documented 4xx, got ${reply.status} ${reply.text.slice(0, 300)}`,
        );
      }
    }
  }

  it(
    "container_start with hostile labels writes no injected ingress or DNS",
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(labelsArb, async (labels) => {
          n += 1;
          for (const h of cleanCandidates(labels)) allowed.add(h);
          await send({
            type: "container_start",
            event_id: `start-${n}-${Math.random()}`,
            container: toContainer(labels, n),
          });
          if (n % 20 === 0) await checkCloudflare();
        }),
        { numRuns: FUZZ_RUNS, seed: FUZZ_SEED + 100 },
      );
      await checkCloudflare();
      // The generator also makes clean labels: if none became a rule, the check above proved nothing.
      expect(cloudflareNames(master.cf.sandbox).ingress.length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    "status_report with hostile labels writes no injected ingress or DNS",
    async () => {
      let n = 1000;
      await fc.assert(
        fc.asyncProperty(fc.array(labelsArb, { minLength: 1, maxLength: 8 }), async (list) => {
          const containers = list.map((labels) => {
            n += 1;
            for (const h of cleanCandidates(labels)) allowed.add(h);
            return toContainer(labels, n);
          });
          await send({
            type: "status_report",
            event_id: `report-${n}-${Math.random()}`,
            container: { containers },
          });
          if (n % 10 === 0) await checkCloudflare();
        }),
        { numRuns: Math.max(10, Math.floor(FUZZ_RUNS / 2)), seed: FUZZ_SEED + 200 },
      );
      await checkCloudflare();
      expect(await master.client.healthy()).toBe(true);
    },
    TIMEOUT,
  );
});
