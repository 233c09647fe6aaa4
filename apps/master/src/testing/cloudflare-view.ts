import type { CloudflareSandbox } from "@dockflow/cloudflare-sandbox";

/** What the Cloudflare stand-in holds, read the way tests assert on it. */

export function liveTunnels(sandbox: CloudflareSandbox) {
  return [...sandbox.state.tunnels.values()].filter((t) => t.deleted_at === null);
}

export function ingressOf(sandbox: CloudflareSandbox, tunnelId: string) {
  return sandbox.state.configurations.get(tunnelId)?.config?.ingress ?? [];
}

export function cnameOf(sandbox: CloudflareSandbox, hostname: string) {
  return [...sandbox.state.dnsRecords.values()].find(
    (r) => r.type === "CNAME" && r.name === hostname,
  );
}

/** The tunnel id a connector token carries (base64 JSON `{a, t, s}`). */
export function tunnelIdOfToken(token: string): string {
  return (JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { t: string }).t;
}
