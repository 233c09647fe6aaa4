import { randomBytes } from "node:crypto";
import {
  type AccessAppBody,
  AccessAppBodySchema,
  AccessListQuerySchema,
  AccessPolicyBodySchema,
  AccessTagBodySchema,
  IDENTITY_SELECTORS,
} from "../access-schemas.ts";
import { apiError, Codes, ok, paginate } from "../envelope.ts";
import type { AccessApp, AccessPolicy, SandboxState } from "../state.ts";
import { uuid } from "../state.ts";
import {
  type RouteDeps,
  readBody,
  readQuery,
  requireAccount,
  type SandboxApp,
  type SandboxContext,
} from "./common.ts";

const BASE = "/accounts/:account_id/access";

const invalid = (detail: string) =>
  apiError(400, Codes.accessInvalidRequest, `access.api.error.invalid_request: ${detail}`);
const notFound = () => apiError(404, Codes.accessNotFound, "access.api.error.not_found");
const conflict = (detail: string) =>
  apiError(409, Codes.accessConflict, `access.api.error.conflict: ${detail}`);

function policyView(state: SandboxState, policy: AccessPolicy): Record<string, unknown> {
  const appCount = [...state.accessApps.values()].filter((app) =>
    app.policies.some((p) => p.id === policy.id),
  ).length;
  return { ...policy, app_count: appCount, reusable: true };
}

function appView(state: SandboxState, app: AccessApp): Record<string, unknown> {
  const { policies, account_id: _account, ...rest } = app;
  return {
    ...rest,
    policies: policies.map(({ id, precedence }) => {
      const policy = state.accessPolicies.get(id);
      return { ...(policy ? policyView(state, policy) : { id }), precedence };
    }),
  };
}

/** The host of `host/path` (what `domain` and `destinations[].uri` hold). */
function hostOf(domain: string): string {
  return (domain.split("/")[0] ?? "").toLowerCase();
}

/** Validates a create/replace body into the stored fields (the API's rules for self_hosted). */
function appFields(
  state: SandboxState,
  accountId: string,
  body: AccessAppBody,
): Omit<AccessApp, "id" | "aud" | "created_at" | "updated_at"> {
  if (body.type !== "self_hosted") {
    throw invalid(
      "app type is missing or invalid (the sandbox keeps self_hosted applications only)",
    );
  }
  const uris = body.destinations?.map((d) => d.uri) ?? body.self_hosted_domains ?? [];
  const domain = body.domain ?? uris[0];
  if (!domain) throw invalid("domain is required for a self_hosted application");
  const domains = [...new Set([domain, ...uris])];
  for (const entry of domains) {
    const host = hostOf(entry);
    const inZone = [...state.zones.values()].some(
      (zone) =>
        zone.account_id === accountId && (host === zone.name || host.endsWith(`.${zone.name}`)),
    );
    if (!inZone) throw invalid(`domain does not belong to zone: ${host}`);
  }
  const refs = (body.policies ?? []).map((ref, index) =>
    typeof ref === "string"
      ? { id: ref, precedence: index + 1 }
      : { id: ref.id, precedence: ref.precedence ?? index + 1 },
  );
  const precedences = new Set<number>();
  for (const ref of refs) {
    const policy = state.accessPolicies.get(ref.id);
    if (!policy || policy.account_id !== accountId) {
      throw invalid(`policy ${ref.id} does not exist`);
    }
    if (precedences.has(ref.precedence)) {
      throw invalid(`precedence ${ref.precedence} is used by more than one policy`);
    }
    precedences.add(ref.precedence);
  }
  const tags = body.tags ?? [];
  for (const tag of tags) {
    if (!state.accessTags.has(`${accountId}/${tag}`)) throw invalid(`tag ${tag} does not exist`);
  }
  const idps = body.allowed_idps ?? [];
  if (body.auto_redirect_to_identity && idps.length !== 1) {
    throw invalid("auto_redirect_to_identity needs exactly one allowed identity provider");
  }
  return {
    account_id: accountId,
    type: "self_hosted",
    name: body.name ?? hostOf(domain),
    domain,
    destinations: domains.map((uri) => ({ type: "public", uri })),
    self_hosted_domains: domains,
    session_duration: body.session_duration ?? "24h",
    app_launcher_visible: body.app_launcher_visible ?? true,
    allowed_idps: idps,
    auto_redirect_to_identity: body.auto_redirect_to_identity ?? false,
    policies: refs.toSorted((a, b) => a.precedence - b.precedence),
    tags,
  };
}

function requireApp(c: SandboxContext, state: SandboxState, accountId: string): AccessApp {
  const app = state.accessApps.get(c.req.param("app_id") ?? "");
  if (!app || app.account_id !== accountId) throw notFound();
  return app;
}

function requirePolicy(c: SandboxContext, state: SandboxState, accountId: string): AccessPolicy {
  const policy = state.accessPolicies.get(c.req.param("policy_id") ?? "");
  if (!policy || policy.account_id !== accountId) throw notFound();
  return policy;
}

async function policyFields(c: SandboxContext) {
  const body = await readBody(c, AccessPolicyBodySchema, Codes.accessInvalidRequest);
  if (body.decision === "bypass") {
    const identity = [...body.include, ...body.require, ...body.exclude].find((rule) =>
      IDENTITY_SELECTORS.has(Object.keys(rule)[0] ?? ""),
    );
    if (identity) {
      throw invalid(`a bypass policy takes no identity selector (${Object.keys(identity)[0]})`);
    }
  }
  return {
    name: body.name,
    decision: body.decision,
    include: body.include,
    exclude: body.exclude,
    require: body.require,
    session_duration: body.session_duration ?? "24h",
  };
}

function registerApplicationRoutes(api: SandboxApp, { state, now }: RouteDeps): void {
  api.get(`${BASE}/apps`, (c) => {
    const account = requireAccount(c, state);
    const query = readQuery(c, AccessListQuerySchema, Codes.accessInvalidRequest);
    const exact = query.exact === "true";
    const matches = (value: string, filter: string | undefined) =>
      filter === undefined ||
      (exact ? value === filter : value.toLowerCase().includes(filter.toLowerCase()));
    const apps = [...state.accessApps.values()].filter(
      (app) =>
        app.account_id === account.id &&
        matches(app.name, query.name) &&
        matches(app.domain, query.domain) &&
        (query.aud === undefined || app.aud === query.aud) &&
        (query.search === undefined ||
          `${app.name} ${app.domain}`.toLowerCase().includes(query.search.toLowerCase())),
    );
    const { result, resultInfo } = paginate(apps, query.page, query.per_page);
    return ok(
      c,
      result.map((app) => appView(state, app)),
      { resultInfo },
    );
  });

  api.post(`${BASE}/apps`, async (c) => {
    const account = requireAccount(c, state);
    const body = await readBody(c, AccessAppBodySchema, Codes.accessInvalidRequest);
    const fields = appFields(state, account.id, body);
    const taken = [...state.accessApps.values()].some(
      (app) => app.account_id === account.id && app.domain === fields.domain,
    );
    if (taken) throw conflict(`an application for ${fields.domain} already exists`);
    const at = now();
    const app: AccessApp = {
      id: uuid(),
      aud: randomBytes(32).toString("hex"),
      ...fields,
      created_at: at,
      updated_at: at,
    };
    state.accessApps.set(app.id, app);
    return ok(c, appView(state, app), { status: 201 });
  });

  api.get(`${BASE}/apps/:app_id`, (c) => {
    const account = requireAccount(c, state);
    return ok(c, appView(state, requireApp(c, state, account.id)));
  });

  api.put(`${BASE}/apps/:app_id`, async (c) => {
    const account = requireAccount(c, state);
    const existing = requireApp(c, state, account.id);
    const body = await readBody(c, AccessAppBodySchema, Codes.accessInvalidRequest);
    const app: AccessApp = {
      ...appFields(state, account.id, body),
      id: existing.id,
      aud: existing.aud,
      created_at: existing.created_at,
      updated_at: now(),
    };
    state.accessApps.set(app.id, app);
    return ok(c, appView(state, app));
  });

  api.delete(`${BASE}/apps/:app_id`, (c) => {
    const account = requireAccount(c, state);
    const app = requireApp(c, state, account.id);
    state.accessApps.delete(app.id);
    return ok(c, { id: app.id });
  });
}

function registerPolicyRoutes(api: SandboxApp, { state, now }: RouteDeps): void {
  api.get(`${BASE}/policies`, (c) => {
    const account = requireAccount(c, state);
    const query = readQuery(c, AccessListQuerySchema, Codes.accessInvalidRequest);
    const policies = [...state.accessPolicies.values()].filter((p) => p.account_id === account.id);
    const { result, resultInfo } = paginate(policies, query.page, query.per_page);
    return ok(
      c,
      result.map((policy) => policyView(state, policy)),
      { resultInfo },
    );
  });

  api.post(`${BASE}/policies`, async (c) => {
    const account = requireAccount(c, state);
    const fields = await policyFields(c);
    const at = now();
    const policy: AccessPolicy = {
      id: uuid(),
      account_id: account.id,
      ...fields,
      created_at: at,
      updated_at: at,
    };
    state.accessPolicies.set(policy.id, policy);
    return ok(c, policyView(state, policy), { status: 201 });
  });

  api.get(`${BASE}/policies/:policy_id`, (c) => {
    const account = requireAccount(c, state);
    return ok(c, policyView(state, requirePolicy(c, state, account.id)));
  });

  api.put(`${BASE}/policies/:policy_id`, async (c) => {
    const account = requireAccount(c, state);
    const existing = requirePolicy(c, state, account.id);
    const policy: AccessPolicy = {
      ...existing,
      ...(await policyFields(c)),
      updated_at: now(),
    };
    state.accessPolicies.set(policy.id, policy);
    return ok(c, policyView(state, policy));
  });

  api.delete(`${BASE}/policies/:policy_id`, (c) => {
    const account = requireAccount(c, state);
    const policy = requirePolicy(c, state, account.id);
    const inUse = [...state.accessApps.values()].filter((app) =>
      app.policies.some((p) => p.id === policy.id),
    ).length;
    if (inUse > 0) {
      throw invalid(`policy is in use by ${inUse} application(s); remove it from them first`);
    }
    state.accessPolicies.delete(policy.id);
    return ok(c, { id: policy.id });
  });
}

function registerTagAndOrganizationRoutes(api: SandboxApp, { state, now }: RouteDeps): void {
  const tagView = (accountId: string, name: string, at: string) => ({
    name,
    app_count: [...state.accessApps.values()].filter(
      (app) => app.account_id === accountId && app.tags.includes(name),
    ).length,
    created_at: at,
    updated_at: at,
  });

  api.get(`${BASE}/tags`, (c) => {
    const account = requireAccount(c, state);
    const query = readQuery(c, AccessListQuerySchema, Codes.accessInvalidRequest);
    const tags = [...state.accessTags.values()].filter((t) => t.account_id === account.id);
    const { result, resultInfo } = paginate(tags, query.page, query.per_page);
    return ok(
      c,
      result.map((t) => tagView(account.id, t.name, t.created_at)),
      { resultInfo },
    );
  });

  api.post(`${BASE}/tags`, async (c) => {
    const account = requireAccount(c, state);
    const { name } = await readBody(c, AccessTagBodySchema, Codes.accessInvalidRequest);
    const key = `${account.id}/${name}`;
    if (state.accessTags.has(key)) throw conflict(`tag ${name} already exists`);
    const at = now();
    state.accessTags.set(key, { account_id: account.id, name, created_at: at });
    return ok(c, tagView(account.id, name, at), { status: 201 });
  });

  api.get(`${BASE}/organizations`, (c) => {
    const account = requireAccount(c, state);
    const organization = state.accessOrganizations.get(account.id);
    if (!organization) throw notFound();
    return ok(c, organization);
  });
}

/** Zero Trust Access: applications, reusable policies, tags and the organization (team domain). */
export function registerAccessRoutes(api: SandboxApp, deps: RouteDeps): void {
  registerApplicationRoutes(api, deps);
  registerPolicyRoutes(api, deps);
  registerTagAndOrganizationRoutes(api, deps);
}
