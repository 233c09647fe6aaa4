import type { AccessSpec } from "@dockflow/protocol";
import type Cloudflare from "cloudflare";
import type { Logger } from "pino";
import { isApiStatus } from "./errors.ts";

/** The tag every Access application dockflow makes carries; applications without it are never touched. */
export const ACCESS_TAG = "dockflow";

/** What the master asks for: one self-hosted application per protected hostname (and path). */
export interface AccessAppRequest {
  /** `host` or `host/path` (Access's `domain`). */
  domain: string;
  access: AccessSpec;
}

/** An application dockflow made, with its own reusable policy (never an app without a policy). */
export interface AccessAppRef {
  app_id: string;
  /** The audience tag cloudflared checks (`originRequest.access.audTag`). */
  aud: string;
  policy_id: string;
}

export interface AccessOperations {
  /** The Zero Trust team (first label of the organization's auth domain), for `teamName`. */
  teamName(): Promise<string>;
  /**
   * Creates (or, given `existing`, replaces) the application and its policy: policy first, then
   * the application that names it, so an application never exists without a policy.
   */
  ensureAccessApp(request: AccessAppRequest, existing?: AccessAppRef): Promise<AccessAppRef>;
  /** Deletes the application, then its policy; an application already gone is fine. */
  deleteAccessApp(ref: AccessAppRef): Promise<void>;
}

export interface AccessDeps {
  client: Cloudflare;
  accountId: string;
  call: <T>(operation: string, task: () => PromiseLike<T>) => Promise<T>;
  log: Logger;
}

type Rule =
  | { email: { email: string } }
  | { email_domain: { domain: string } }
  | { everyone: Record<string, never> };

/** The policy a label set stands for (groups are reusable policies referenced beside it). */
export function policyOf(domain: string, access: AccessSpec) {
  const include: Rule[] =
    access.policy === "allow"
      ? [
          ...(access.emails ?? []).map((email) => ({ email: { email } })),
          ...(access.email_domains ?? []).map((d) => ({ email_domain: { domain: d } })),
        ]
      : [{ everyone: {} }];
  return {
    name: `dockflow ${domain}`,
    decision: access.policy,
    include,
    ...(access.session_duration ? { session_duration: access.session_duration } : {}),
  };
}

export function createAccessOperations({
  client,
  accountId,
  call,
  log,
}: AccessDeps): AccessOperations {
  const access = client.zeroTrust.access;
  let team: string | undefined;
  let tagReady = false;

  const teamName = async () => {
    if (team) return team;
    const org = await call("accessOrganization", () =>
      client.zeroTrust.organizations.list({ account_id: accountId }),
    );
    const found = (org.auth_domain ?? "").split(".")[0] ?? "";
    if (found === "") throw new Error("the Zero Trust organization has no auth_domain");
    team = found;
    return found;
  };

  const ensureTag = async () => {
    if (tagReady) return;
    try {
      await call("accessTag", () =>
        access.tags.create({ account_id: accountId, name: ACCESS_TAG }),
      );
    } catch (error) {
      if (!isApiStatus(error, 409)) throw error;
    }
    tagReady = true;
  };

  const writePolicy = async (request: AccessAppRequest, existing?: string) => {
    const body = { account_id: accountId, ...policyOf(request.domain, request.access) };
    // Only include rules a label can express; the SDK's rule union is wider.
    const params = body as Parameters<typeof access.policies.create>[0];
    if (existing) {
      await call("accessPolicy", () => access.policies.update(existing, params));
      return existing;
    }
    const created = await call("accessPolicy", () => access.policies.create(params));
    if (!created.id) throw new Error("Cloudflare returned an Access policy without an id");
    return created.id;
  };

  const deletePolicy = async (policyId: string) => {
    try {
      await call("accessPolicy", () => access.policies.delete(policyId, { account_id: accountId }));
    } catch (error) {
      if (!isApiStatus(error, 404)) throw error;
    }
  };

  const ensureAccessApp = async (
    request: AccessAppRequest,
    existing?: AccessAppRef,
  ): Promise<AccessAppRef> => {
    await ensureTag();
    const policyId = await writePolicy(request, existing?.policy_id);
    const spec = request.access;
    const body = {
      account_id: accountId,
      type: "self_hosted" as const,
      domain: request.domain,
      name: spec.name ?? request.domain,
      policies: [{ id: policyId, precedence: 1 }],
      tags: [ACCESS_TAG],
      ...(spec.idps ? { allowed_idps: spec.idps } : {}),
      ...(spec.session_duration ? { session_duration: spec.session_duration } : {}),
      ...(spec.app_launcher_visible !== undefined
        ? { app_launcher_visible: spec.app_launcher_visible }
        : {}),
    };
    const app = existing
      ? await call("accessApp", () => access.applications.update(existing.app_id, body))
      : await call("accessApp", () => access.applications.create(body)).catch(async (error) => {
          // No application names the new policy: take it away again rather than leak it.
          await deletePolicy(policyId).catch(() => undefined);
          throw error;
        });
    const { id, aud } = app as { id?: string; aud?: string };
    if (!id || !aud) throw new Error("Cloudflare returned an Access application without id or aud");
    log.info(
      { domain: request.domain, app_id: id, created: !existing },
      "Access application written",
    );
    return { app_id: id, aud, policy_id: policyId };
  };

  const deleteAccessApp = async (ref: AccessAppRef) => {
    try {
      await call("accessApp", () =>
        access.applications.delete(ref.app_id, { account_id: accountId }),
      );
    } catch (error) {
      if (!isApiStatus(error, 404)) throw error;
    }
    await deletePolicy(ref.policy_id);
    log.info({ app_id: ref.app_id }, "Access application deleted");
  };

  return { teamName, ensureAccessApp, deleteAccessApp };
}
