import { isIPv4, isIPv6 } from "node:net";
import { apiError, Codes, ok, paginate } from "../envelope.ts";
import {
  type DnsRecordBody,
  DnsRecordBodySchema,
  DnsRecordListQuerySchema,
  DnsRecordPatchBodySchema,
  type DnsRecordType,
  describeIssues,
} from "../schemas.ts";
import {
  type DnsRecord,
  dnsRecordView,
  hexId,
  isHexId,
  type SandboxState,
  type Zone,
} from "../state.ts";
import {
  invalidIdentifier,
  type RouteDeps,
  readBody,
  readQuery,
  requireZone,
  type SandboxApp,
  type SandboxContext,
} from "./common.ts";

const BASE = "/zones/:zone_id/dns_records";
const PROXIABLE = new Set<DnsRecordType>(["A", "AAAA", "CNAME"]);
/** Types whose value lives in `data` rather than `content`. */
const DATA_TYPES = new Set<DnsRecordType>([
  "CAA",
  "CERT",
  "DNSKEY",
  "DS",
  "HTTPS",
  "LOC",
  "NAPTR",
  "SMIMEA",
  "SRV",
  "SSHFP",
  "SVCB",
  "TLSA",
  "URI",
]);
const HOST_TYPES = new Set<DnsRecordType>(["CNAME", "NS", "PTR", "MX"]);
const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

function stripDot(value: string): string {
  return value.trim().replace(/\.$/, "");
}

/** Record names are stored fully qualified and lower-case; a relative name gets the zone appended. */
export function qualifyName(input: string, zoneName: string): string {
  const name = stripDot(input).toLowerCase();
  if (name === "@" || name === "") return zoneName;
  if (name === zoneName || name.endsWith(`.${zoneName}`)) return name;
  return `${name}.${zoneName}`;
}

function isHostname(value: string, allowWildcard: boolean): boolean {
  const labels = value.toLowerCase().split(".");
  if (value.length > 253 || labels.length < 1) return false;
  return labels.every(
    (label, index) =>
      (allowWildcard && index === 0 && label === "*") || (label.length <= 63 && LABEL.test(label)),
  );
}

function recordNotFound() {
  return apiError(404, Codes.dnsRecordNotFound, "Record does not exist.");
}

/** Validates a full record body against the zone and returns the stored fields. */
function normalise(
  body: DnsRecordBody,
  zone: Zone,
): Omit<DnsRecord, "id" | "created_on" | "modified_on"> {
  const name = qualifyName(body.name, zone.name);
  if (!isHostname(name, true)) throw apiError(400, Codes.dnsInvalidName, "DNS name is invalid.");
  let content = body.content ?? "";
  if (!DATA_TYPES.has(body.type) && content === "") {
    throw apiError(400, Codes.dnsInvalidContent, `Content for ${body.type} record is invalid.`);
  }
  if (DATA_TYPES.has(body.type) && content === "" && body.data === undefined) {
    throw apiError(400, Codes.dnsInvalidBody, `A ${body.type} record needs content or data.`);
  }
  if (body.type === "A" && !isIPv4(content)) {
    throw apiError(
      400,
      Codes.dnsInvalidContent,
      "Content for A record must be a valid IPv4 address.",
    );
  }
  if (body.type === "AAAA" && !isIPv6(content)) {
    throw apiError(
      400,
      Codes.dnsInvalidContent,
      "Content for AAAA record must be a valid IPv6 address.",
    );
  }
  if (HOST_TYPES.has(body.type)) {
    content = stripDot(content);
    if (!isHostname(content, false)) {
      throw apiError(400, Codes.dnsInvalidContent, `Content for ${body.type} record is invalid.`);
    }
  }
  const proxiable = PROXIABLE.has(body.type);
  const proxied = body.proxied ?? false;
  if (proxied && !proxiable) {
    throw apiError(400, Codes.dnsNotProxiable, `${body.type} records cannot be proxied.`);
  }
  if (body.ttl !== 1 && (body.ttl < 30 || body.ttl > 86400)) {
    throw apiError(
      400,
      Codes.dnsInvalidTtl,
      "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.",
    );
  }
  const record: Omit<DnsRecord, "id" | "created_on" | "modified_on"> = {
    zone_id: zone.id,
    zone_name: zone.name,
    type: body.type,
    name,
    content,
    proxied,
    proxiable,
    // Proxied records always have an automatic TTL.
    ttl: proxied ? 1 : body.ttl,
    comment: body.comment ?? null,
    tags: body.tags ?? [],
    settings: body.settings ?? {},
  };
  if (body.priority !== undefined) record.priority = body.priority;
  if (body.data !== undefined) record.data = body.data;
  return record;
}

/** CNAME exclusivity (81053/81054) and identical records (81057) among the zone's other records. */
function assertNoConflict(
  state: SandboxState,
  candidate: Pick<DnsRecord, "zone_id" | "type" | "name" | "content">,
  selfId?: string,
): void {
  const sameName = [...state.dnsRecords.values()].filter(
    (other) =>
      other.zone_id === candidate.zone_id && other.id !== selfId && other.name === candidate.name,
  );
  const addressOrAlias = (type: DnsRecordType) =>
    type === "A" || type === "AAAA" || type === "CNAME";
  if (candidate.type === "CNAME" && sameName.some((other) => addressOrAlias(other.type))) {
    throw apiError(
      400,
      Codes.dnsCnameConflict,
      "An A, AAAA, or CNAME record with that host already exists.",
    );
  }
  const identical = sameName.some(
    (other) =>
      other.type === candidate.type &&
      other.content.toLowerCase() === candidate.content.toLowerCase(),
  );
  if (identical) throw apiError(400, Codes.dnsIdenticalRecord, "Record already exists.");
  if (
    (candidate.type === "A" || candidate.type === "AAAA") &&
    sameName.some((other) => other.type === "CNAME")
  ) {
    throw apiError(400, Codes.dnsCnameExists, "A CNAME record with that host already exists.");
  }
}

function requireRecord(c: SandboxContext, state: SandboxState, zone: Zone): DnsRecord {
  const id = c.req.param("record_id") ?? "";
  if (!isHexId(id)) throw invalidIdentifier(c.req.path);
  const record = state.dnsRecords.get(id);
  if (!record || record.zone_id !== zone.id) throw recordNotFound();
  return record;
}

type TextFilter = { exact?: string; contains?: string; startswith?: string; endswith?: string };

function matchesText(value: string, filter: TextFilter): boolean | undefined {
  const checks: boolean[] = [];
  const v = value.toLowerCase();
  if (filter.exact !== undefined) checks.push(v === filter.exact.toLowerCase());
  if (filter.contains !== undefined) checks.push(v.includes(filter.contains.toLowerCase()));
  if (filter.startswith !== undefined) checks.push(v.startsWith(filter.startswith.toLowerCase()));
  if (filter.endswith !== undefined) checks.push(v.endsWith(filter.endswith.toLowerCase()));
  if (checks.length === 0) return undefined;
  return checks.every(Boolean);
}

export function registerDnsRoutes(api: SandboxApp, { state, now }: RouteDeps): void {
  api.get(BASE, (c) => {
    const zone = requireZone(c, state);
    const query = readQuery(c, DnsRecordListQuerySchema, Codes.dnsInvalidBody);
    const nameExact = query["name.exact"] ?? query.name;
    const nameFilter: TextFilter = {
      exact: nameExact === undefined ? undefined : stripDot(nameExact),
      contains: query["name.contains"],
      startswith: query["name.startswith"],
      endswith: query["name.endswith"],
    };
    const contentFilter: TextFilter = {
      exact: query["content.exact"] ?? query.content,
      contains: query["content.contains"],
      startswith: query["content.startswith"],
      endswith: query["content.endswith"],
    };
    let records = [...state.dnsRecords.values()].filter((record) => {
      if (record.zone_id !== zone.id) return false;
      const checks = [
        query.type === undefined ? undefined : record.type === query.type,
        matchesText(record.name, nameFilter),
        matchesText(record.content, contentFilter),
        query.proxied === undefined ? undefined : record.proxied === query.proxied,
      ].filter((check): check is boolean => check !== undefined);
      if (checks.length === 0) return true;
      return query.match === "any" ? checks.some(Boolean) : checks.every(Boolean);
    });
    const order = query.order;
    if (order !== undefined) {
      const sign = query.direction === "desc" ? -1 : 1;
      records = records.toSorted((a, b) => {
        const left = a[order];
        const right = b[order];
        return (left < right ? -1 : left > right ? 1 : 0) * sign;
      });
    }
    const { result, resultInfo } = paginate(records, query.page, query.per_page);
    return ok(c, result.map(dnsRecordView), { resultInfo });
  });

  api.post(BASE, async (c) => {
    const zone = requireZone(c, state);
    const body = await readBody(c, DnsRecordBodySchema, Codes.dnsInvalidBody);
    const fields = normalise(body, zone);
    assertNoConflict(state, fields);
    const at = now();
    const record: DnsRecord = { id: hexId(), ...fields, created_on: at, modified_on: at };
    state.dnsRecords.set(record.id, record);
    return ok(c, dnsRecordView(record));
  });

  api.get(`${BASE}/:record_id`, (c) => {
    const zone = requireZone(c, state);
    return ok(c, dnsRecordView(requireRecord(c, state, zone)));
  });

  api.put(`${BASE}/:record_id`, async (c) => {
    const zone = requireZone(c, state);
    const existing = requireRecord(c, state, zone);
    const body = await readBody(c, DnsRecordBodySchema, Codes.dnsInvalidBody);
    const fields = normalise(body, zone);
    assertNoConflict(state, fields, existing.id);
    const record: DnsRecord = {
      id: existing.id,
      ...fields,
      created_on: existing.created_on,
      modified_on: now(),
    };
    state.dnsRecords.set(record.id, record);
    return ok(c, dnsRecordView(record));
  });

  api.patch(`${BASE}/:record_id`, async (c) => {
    const zone = requireZone(c, state);
    const existing = requireRecord(c, state, zone);
    const patch = await readBody(c, DnsRecordPatchBodySchema, Codes.dnsInvalidBody);
    const merged = DnsRecordBodySchema.safeParse({
      type: existing.type,
      name: existing.name,
      content: existing.content,
      ttl: existing.ttl,
      proxied: existing.proxied,
      priority: existing.priority,
      comment: existing.comment,
      tags: existing.tags,
      settings: existing.settings,
      data: existing.data,
      ...patch,
    });
    if (!merged.success) {
      throw apiError(
        400,
        Codes.dnsInvalidBody,
        `Invalid request body: ${describeIssues(merged.error)}`,
      );
    }
    const fields = normalise(merged.data, zone);
    assertNoConflict(state, fields, existing.id);
    const record: DnsRecord = {
      id: existing.id,
      ...fields,
      created_on: existing.created_on,
      modified_on: now(),
    };
    state.dnsRecords.set(record.id, record);
    return ok(c, dnsRecordView(record));
  });

  api.delete(`${BASE}/:record_id`, (c) => {
    const zone = requireZone(c, state);
    const record = requireRecord(c, state, zone);
    state.dnsRecords.delete(record.id);
    return ok(c, { id: record.id });
  });
}
