import Cloudflare from "cloudflare";
import type { ConfigurationUpdateParams } from "cloudflare/resources/zero-trust/tunnels/cloudflared/configurations";
import type { Logger } from "pino";
import { type AccessOperations, createAccessOperations } from "./access.ts";
import { type BudgetLimit, DEFAULT_BUDGET, RequestBudget } from "./budget.ts";
import { CloudflareError, isAmbiguous, isApiStatus, toCloudflareError } from "./errors.ts";
import {
  ingressProblems,
  type ManagedIngressRule,
  mergeIngress,
  normalizeHostname,
  sameIngress,
  type WireIngressRule,
} from "./ingress.ts";
import {
  backoffMs,
  createTransport,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_POLICY,
  type FetchLike,
  type RetryPolicy,
} from "./transport.ts";
import { ZoneDirectory, type ZoneRef } from "./zones.ts";

export interface CloudflareGateway extends AccessOperations {
  /**
   * Idempotent: finds a live (not deleted) tunnel by name or creates it with config_src
   * "cloudflare"; never creates a duplicate even when the create call is retried.
   */
  ensureTunnel(name: string): Promise<{ id: string; name: string }>;
  /** The connector token (secret: never log it). */
  getTunnelToken(tunnelId: string): Promise<string>;
  /**
   * Writes the tunnel's ingress only when it changes: `desired` replaces the rules whose
   * `${hostname} ${path ?? ""}` key is in `owned`; every other existing rule is kept (rules we
   * do not manage are never removed); the catch-all http_status:404 is last. Returns whether a
   * PUT happened.
   */
  syncIngress(
    tunnelId: string,
    desired: ManagedIngressRule[],
    owned: string[],
  ): Promise<{ changed: boolean }>;
  /** The tunnel's whole ingress as Cloudflare holds it (empty for a tunnel never configured). */
  getIngress(tunnelId: string): Promise<WireIngressRule[]>;
  /**
   * Proxied CNAME hostname -> <tunnelId>.cfargotunnel.com (ttl 1) in zone `zoneName` or else the
   * longest zone-suffix match among the account's zones; idempotent; updates an existing CNAME
   * that points at another cfargotunnel.com (rule migration between agents); a conflicting
   * A/AAAA/non-tunnel CNAME is an error with a clear message (never overwritten).
   */
  ensureDnsRecord(
    hostname: string,
    tunnelId: string,
    zoneName?: string,
  ): Promise<{ zone_id: string; record_id: string }>;
  /** Deletes the CNAME only if it still points at `tunnelId` (a rule that moved keeps its record). */
  removeDnsRecord(hostname: string, tunnelId: string, zoneName?: string): Promise<void>;
  /** Clears connections then deletes; idempotent. */
  deleteTunnel(tunnelId: string): Promise<void>;
}

export interface CloudflareGatewayOptions {
  apiToken: string;
  accountId: string;
  /** Default: `CLOUDFLARE_BASE_URL` from the environment, else the public API. */
  baseURL?: string;
  fetch?: typeof fetch;
  logger: Logger;
  /** Client-side request budget (default 1200 per 5 minutes, Cloudflare's limit per token). */
  budget?: { limit: number; windowMs: number };
  /** Clock for the budget, Retry-After dates and the zone cache (default `Date.now`). */
  now?: () => number;
  /** How the gateway waits (budget, Retry-After, backoff). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Retry tuning; defaults in `DEFAULT_RETRY_POLICY`. */
  retry?: Partial<RetryPolicy>;
  /** How long the account's zone list is reused (default 60 s). */
  zoneCacheTtlMs?: number;
  /** Per-attempt limit on waiting for an answer (default 60 s). */
  requestTimeoutMs?: number;
  /** Told of every HTTP attempt: operation (method and path template) and status (metrics). */
  onRequest?: (operation: string, status: string) => void;
}

/**
 * `GET /accounts/:id/cfd_tunnel/:id`: the path with every segment that is not a plain word
 * (account, zone, tunnel and record ids) replaced, so the value stays bounded.
 */
export function operationOf(method: string, path: string): string {
  const template = path
    .split("/")
    .map((segment) => (segment === "" || /^[a-z_]+$/.test(segment) ? segment : ":id"))
    .join("/");
  return `${method} ${template}`;
}

export const DEFAULT_ZONE_CACHE_TTL_MS = 60_000;
/** Attempts of a create (each preceded by a lookup, so a retry never duplicates). */
const CREATE_ATTEMPTS = 3;
/** The SDK's own deadline per call; ours is per attempt (budget waits happen inside a call). */
const SDK_TIMEOUT_MS = 60 * 60_000;
const MAX_PAGES = 1_000;
const TUNNEL_PAGE_SIZE = 100;
const ZONE_PAGE_SIZE = 50;
const DNS_PAGE_SIZE = 100;
const TUNNEL_TARGET_SUFFIX = ".cfargotunnel.com";
const RECORD_COMMENT = "managed by dockflow";
/** Cloudflare codes of a create that clashed with a record at the same name. */
const DNS_CLASH_CODES = [81053, 81054, 81057, 81058];

/** The fields of a DNS record we read (the SDK's record type is a union of 21 types). */
interface DnsRecordView {
  id: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean | undefined;
  ttl: number | undefined;
}

interface PageBody<T> {
  result: T[];
  result_info?: unknown;
}

/** Fetches pages until one is short (or `total_pages` is reached), so no empty page is asked. */
async function collectPages<T>(
  perPage: number,
  fetchPage: (page: number) => PromiseLike<PageBody<T>>,
): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const body = await fetchPage(page);
    const result = Array.isArray(body.result) ? body.result : [];
    items.push(...result);
    // Typing gap: the SDK declares result_info as {page?, per_page?}; the API also sends total_pages.
    const totalPages = (body.result_info as { total_pages?: unknown } | undefined)?.total_pages;
    if (result.length < perPage) break;
    if (typeof totalPages === "number" && page >= totalPages) break;
  }
  return items;
}

/** Runs calls with the same key one after another (read-modify-write of one tunnel or name). */
function keyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

function cnameTarget(content: string): string {
  return content.trim().toLowerCase().replace(/\.$/, "");
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createCloudflareGateway(options: CloudflareGatewayOptions): CloudflareGateway {
  const accountId = options.accountId;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const limit: BudgetLimit = options.budget ?? DEFAULT_BUDGET;
  // Log ids, hostnames and statuses only: never the API token nor a tunnel token.
  const log = options.logger.child({ component: "cloudflare" });

  const budget = new RequestBudget({
    ...limit,
    now,
    sleep,
    maxPauseWaitMs: retry.maxRetryAfterMs,
    logger: log,
  });
  const transport = createTransport({
    fetch: (options.fetch ?? globalThis.fetch) as FetchLike,
    budget,
    retry,
    logger: log,
    now,
    sleep,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    onAttempt: (method, path, status) => options.onRequest?.(operationOf(method, path), status),
  });
  const client = new Cloudflare({
    apiToken: options.apiToken,
    // Only the token authenticates: never pick up CLOUDFLARE_API_KEY / CLOUDFLARE_EMAIL.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: options.baseURL,
    fetch: transport,
    // Retries are ours (transport + gateway): the SDK's would resend creates on 409/5xx and
    // sleep through any Retry-After, five minutes included.
    maxRetries: 0,
    timeout: SDK_TIMEOUT_MS,
    // The SDK's logger goes to the console; our transport logs what matters through pino.
    logLevel: "off",
  });
  const tunnels = client.zeroTrust.tunnels.cloudflared;

  const call = async <T>(operation: string, task: () => PromiseLike<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      throw toCloudflareError(error, operation, now());
    }
  };

  const zones = new ZoneDirectory({
    ttlMs: options.zoneCacheTtlMs ?? DEFAULT_ZONE_CACHE_TTL_MS,
    now,
    load: () =>
      call("listZones", async () => {
        const list = await collectPages(ZONE_PAGE_SIZE, (page) =>
          client.zones.list({ account: { id: accountId }, page, per_page: ZONE_PAGE_SIZE }),
        );
        const found: ZoneRef[] = list.map((zone) => ({ id: zone.id, name: zone.name }));
        log.debug({ zones: found.length }, "listed Cloudflare zones");
        return found;
      }),
  });

  const serial = keyedSerializer();

  const findLiveTunnel = async (
    name: string,
  ): Promise<{ id: string; name: string } | undefined> => {
    const list = await call("ensureTunnel", () =>
      collectPages(TUNNEL_PAGE_SIZE, (page) =>
        tunnels.list({
          account_id: accountId,
          name,
          is_deleted: false,
          page,
          per_page: TUNNEL_PAGE_SIZE,
        }),
      ),
    );
    const live = list.find((tunnel) => tunnel.name === name && !tunnel.deleted_at && tunnel.id);
    return live?.id ? { id: live.id, name } : undefined;
  };

  const listRecordsByName = (
    operation: string,
    zoneId: string,
    name: string,
    type?: "CNAME",
  ): Promise<DnsRecordView[]> =>
    call(operation, async () => {
      const records = await collectPages(DNS_PAGE_SIZE, (page) =>
        client.dns.records.list({
          zone_id: zoneId,
          name: { exact: name },
          ...(type ? { type } : {}),
          page,
          per_page: DNS_PAGE_SIZE,
        }),
      );
      return records
        .filter((record) => normalizeHostname(record.name) === name)
        .map((record) => ({
          id: record.id,
          type: record.type,
          name: record.name,
          // Typing gap: `content` is optional in the union (data-only types have none).
          content: "content" in record && typeof record.content === "string" ? record.content : "",
          proxied: record.proxied,
          ttl: record.ttl,
        }));
    });

  const ensureTunnel = (name: string) =>
    serial(`tunnel:${name}`, async () => {
      const operation = "ensureTunnel";
      let lastError: CloudflareError | undefined;
      for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt += 1) {
        // Every create is preceded by a lookup: a create that happened without us hearing of
        // it (timeout, 5xx, a lost answer) or a concurrent creator is found, never duplicated.
        const existing = await findLiveTunnel(name);
        if (existing) {
          log.debug({ tunnel_id: existing.id, tunnel_name: name }, "found Cloudflare tunnel");
          return existing;
        }
        try {
          const created = await call(operation, () =>
            tunnels.create({ account_id: accountId, name, config_src: "cloudflare" }),
          );
          if (!created.id) {
            throw new CloudflareError(
              `Cloudflare ${operation} failed: the answer has no tunnel id`,
              {
                kind: "api",
                operation,
              },
            );
          }
          // Typing gap: the raw answer also holds `token`; it is fetched with getTunnelToken.
          log.info({ tunnel_id: created.id, tunnel_name: name }, "created Cloudflare tunnel");
          return { id: created.id, name: created.name ?? name };
        } catch (error) {
          const conflict = isApiStatus(error, 409);
          if (!(error instanceof CloudflareError) || (!conflict && !isAmbiguous(error)))
            throw error;
          lastError = error;
          log.warn(
            { tunnel_name: name, attempt, status: error.status, code: error.code },
            conflict
              ? "tunnel name taken while creating; looking it up"
              : "tunnel create had no clear outcome; looking it up before trying again",
          );
          if (!conflict) await sleep(backoffMs(attempt, retry, Math.random));
        }
      }
      const existing = await findLiveTunnel(name);
      if (existing) return existing;
      throw (
        lastError ??
        new CloudflareError(`Cloudflare ${operation} failed`, { kind: "api", operation })
      );
    });

  const getTunnelToken = async (tunnelId: string): Promise<string> => {
    const token = await call("getTunnelToken", () =>
      tunnels.token.get(tunnelId, { account_id: accountId }),
    );
    if (typeof token !== "string" || token === "") {
      throw new CloudflareError("Cloudflare getTunnelToken failed: the answer holds no token", {
        kind: "api",
        operation: "getTunnelToken",
      });
    }
    log.debug({ tunnel_id: tunnelId }, "fetched tunnel token");
    return token;
  };

  const readConfiguration = async (operation: string, tunnelId: string) => {
    const current = await call(operation, () =>
      tunnels.configurations.get(tunnelId, { account_id: accountId }),
    );
    // A tunnel never configured answers `config: null`.
    const config: Record<string, unknown> = { ...(current?.config ?? {}) };
    const existing = Array.isArray(config.ingress) ? (config.ingress as WireIngressRule[]) : [];
    return { config, existing };
  };

  const getIngress = async (tunnelId: string) =>
    (await readConfiguration("getIngress", tunnelId)).existing;

  const syncIngress = (tunnelId: string, desired: ManagedIngressRule[], owned: string[]) =>
    serial(`ingress:${tunnelId}`, async () => {
      const operation = "syncIngress";
      for (const rule of desired) {
        if (
          normalizeHostname(rule.hostname) !== rule.hostname.trim().toLowerCase().replace(/\.$/, "")
        ) {
          log.warn(
            { tunnel_id: tunnelId, hostname: rule.hostname },
            "ingress hostname had a port; dropped it",
          );
        }
      }
      const { config, existing } = await readConfiguration(operation, tunnelId);
      const { ingress, duplicates } = mergeIngress(existing, desired, owned);
      if (duplicates.length > 0) {
        log.warn(
          { tunnel_id: tunnelId, duplicates },
          "duplicate ingress rules; kept the first of each",
        );
      }
      const problems = ingressProblems(ingress);
      if (problems.length > 0) {
        throw new CloudflareError(
          `invalid ingress for tunnel ${tunnelId}, not written: ${problems.join("; ")}`,
          { kind: "invalid_ingress", operation },
        );
      }
      if (sameIngress(existing, ingress)) {
        log.debug({ tunnel_id: tunnelId, rules: ingress.length }, "tunnel ingress unchanged");
        return { changed: false };
      }
      // Typing gap: the catch-all has no hostname, which the SDK's Ingress type requires.
      const next = { ...config, ingress } as unknown as ConfigurationUpdateParams["config"];
      const written = await call(operation, () =>
        tunnels.configurations.update(tunnelId, { account_id: accountId, config: next }),
      );
      log.info(
        { tunnel_id: tunnelId, version: written.version, rules: ingress.length },
        "wrote tunnel ingress",
      );
      return { changed: true };
    });

  const ensureDnsRecord = (hostname: string, tunnelId: string, zoneName?: string) => {
    const host = normalizeHostname(hostname);
    return serial(`dns:${host}`, async () => {
      const operation = "ensureDnsRecord";
      const zone = await zones.resolve(host, zoneName, operation);
      const target = `${tunnelId}${TUNNEL_TARGET_SUFFIX}`.toLowerCase();
      const body = {
        zone_id: zone.id,
        type: "CNAME" as const,
        name: host,
        content: target,
        proxied: true,
        ttl: 1 as const,
        comment: RECORD_COMMENT,
      };
      const where = { zone_id: zone.id, zone_name: zone.name, hostname: host, tunnel_id: tunnelId };
      let lastError: CloudflareError | undefined;
      for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt += 1) {
        const records = await listRecordsByName(operation, zone.id, host);
        const blocking = records.find(
          (record) =>
            record.type === "A" ||
            record.type === "AAAA" ||
            (record.type === "CNAME" &&
              !cnameTarget(record.content).endsWith(TUNNEL_TARGET_SUFFIX)),
        );
        if (blocking) {
          throw new CloudflareError(
            `DNS conflict: "${host}" in zone "${zone.name}" already has ${
              /^[AEIOU]/.test(blocking.type) ? "an" : "a"
            } ${blocking.type} record ` +
              `(${blocking.content}) that does not point at a tunnel; dockflow does not overwrite it. ` +
              "Remove that record or use another hostname.",
            { kind: "dns_conflict", operation, status: 409, code: 81053 },
          );
        }
        const cname = records.find((record) => record.type === "CNAME");
        if (cname) {
          const ours = cnameTarget(cname.content) === target;
          if (ours && cname.proxied === true) {
            log.debug({ ...where, record_id: cname.id }, "DNS record already in place");
            return { zone_id: zone.id, record_id: cname.id };
          }
          // Another tunnel's record (the rule moved to this agent), or ours but not proxied.
          await call(operation, () => client.dns.records.update(cname.id, body));
          log.info(
            { ...where, record_id: cname.id, previous_target: cnameTarget(cname.content) },
            ours ? "DNS record set back to proxied" : "DNS record moved to this tunnel",
          );
          return { zone_id: zone.id, record_id: cname.id };
        }
        if (lastError && isApiStatus(lastError, 400, DNS_CLASH_CODES)) {
          // The API refused the CNAME because of a record we do not see as blocking.
          throw new CloudflareError(
            `DNS conflict: Cloudflare refused a CNAME for "${host}" in zone "${zone.name}": ${lastError.message}`,
            { kind: "dns_conflict", operation, status: 409, codes: lastError.codes },
          );
        }
        try {
          const created = await call(operation, () => client.dns.records.create(body));
          log.info({ ...where, record_id: created.id }, "created DNS record");
          return { zone_id: zone.id, record_id: created.id };
        } catch (error) {
          const clash = isApiStatus(error, 400, DNS_CLASH_CODES);
          if (!(error instanceof CloudflareError) || (!clash && !isAmbiguous(error))) throw error;
          // A concurrent writer, or our own create that happened unheard: list again and decide.
          lastError = error;
          log.warn(
            { ...where, attempt, status: error.status, code: error.code },
            "DNS record create had no clear outcome; looking it up",
          );
          if (!clash) await sleep(backoffMs(attempt, retry, Math.random));
        }
      }
      throw (
        lastError ??
        new CloudflareError(`Cloudflare ${operation} failed`, { kind: "api", operation })
      );
    });
  };

  const removeDnsRecord = (hostname: string, tunnelId: string, zoneName?: string) => {
    const host = normalizeHostname(hostname);
    return serial(`dns:${host}`, async () => {
      const operation = "removeDnsRecord";
      let zone: ZoneRef;
      try {
        zone = await zones.resolve(host, zoneName, operation);
      } catch (error) {
        if (error instanceof CloudflareError && error.kind === "zone_not_found") {
          log.debug({ hostname: host }, "no zone holds the hostname; no DNS record to remove");
          return;
        }
        throw error;
      }
      const target = `${tunnelId}${TUNNEL_TARGET_SUFFIX}`.toLowerCase();
      const records = await listRecordsByName(operation, zone.id, host, "CNAME");
      for (const record of records) {
        const where = {
          zone_id: zone.id,
          record_id: record.id,
          hostname: host,
          tunnel_id: tunnelId,
        };
        if (cnameTarget(record.content) !== target) {
          log.debug(
            { ...where, target: cnameTarget(record.content) },
            "DNS record points elsewhere; kept",
          );
          continue;
        }
        try {
          await call(operation, () => client.dns.records.delete(record.id, { zone_id: zone.id }));
          log.info(where, "deleted DNS record");
        } catch (error) {
          if (!isApiStatus(error, 404)) throw error;
          log.debug(where, "DNS record already gone");
        }
      }
    });
  };

  const deleteTunnel = (tunnelId: string) =>
    serial(`tunnel-id:${tunnelId}`, async () => {
      const operation = "deleteTunnel";
      for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt += 1) {
        try {
          await call(operation, () =>
            tunnels.connections.delete(tunnelId, { account_id: accountId }),
          );
          await call(operation, () => tunnels.delete(tunnelId, { account_id: accountId }));
          log.info({ tunnel_id: tunnelId }, "deleted Cloudflare tunnel");
          return;
        } catch (error) {
          if (isApiStatus(error, 404)) {
            log.debug({ tunnel_id: tunnelId }, "tunnel already deleted");
            return;
          }
          // 1022: a connector came back between clearing connections and deleting: clear again.
          if (!isApiStatus(error, 400, [1022]) || attempt === CREATE_ATTEMPTS) throw error;
          log.warn(
            { tunnel_id: tunnelId, attempt },
            "tunnel still has connections; clearing again",
          );
        }
      }
    });

  return {
    ...createAccessOperations({ client, accountId, call, log }),
    ensureTunnel,
    getTunnelToken,
    syncIngress,
    getIngress,
    ensureDnsRecord,
    removeDnsRecord,
    deleteTunnel,
  };
}
