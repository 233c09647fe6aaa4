import { apiError, Codes, ok, paginate } from "../envelope.ts";
import { ingressProblem } from "../ingress.ts";
import {
  ConfigurationPutBodySchema,
  ConnectionsDeleteQuerySchema,
  TunnelCreateBodySchema,
  TunnelEditBodySchema,
  TunnelListQuerySchema,
} from "../schemas.ts";
import {
  configurationView,
  hasLiveConnections,
  newTunnelSecret,
  type SandboxState,
  type Tunnel,
  type TunnelConfiguration,
  tunnelStatus,
  tunnelToken,
  tunnelView,
  uuid,
} from "../state.ts";
import {
  type RouteDeps,
  readBody,
  readQuery,
  requireAccount,
  type SandboxApp,
  type SandboxContext,
} from "./common.ts";

const BASE = "/accounts/:account_id/cfd_tunnel";

function tunnelNotFound() {
  return apiError(404, Codes.tunnelNotFound, "Tunnel not found");
}

/** The tunnel of `:tunnel_id` in the caller's account; deleted ones only when `allowDeleted`. */
function requireTunnel(c: SandboxContext, state: SandboxState, allowDeleted: boolean): Tunnel {
  const account = requireAccount(c, state);
  const tunnel = state.tunnels.get(c.req.param("tunnel_id") ?? "");
  if (!tunnel || tunnel.account_id !== account.id) throw tunnelNotFound();
  if (tunnel.deleted_at !== null && !allowDeleted) throw tunnelNotFound();
  return tunnel;
}

function assertNameFree(state: SandboxState, accountId: string, name: string, self?: string) {
  for (const other of state.tunnels.values()) {
    if (
      other.account_id === accountId &&
      other.deleted_at === null &&
      other.id !== self &&
      other.name === name
    ) {
      throw apiError(409, Codes.tunnelNameTaken, "You already have a tunnel with this name");
    }
  }
}

export function configurationOf(state: SandboxState, tunnel: Tunnel): TunnelConfiguration {
  let configuration = state.configurations.get(tunnel.id);
  if (!configuration) {
    configuration = {
      tunnel_id: tunnel.id,
      account_id: tunnel.account_id,
      version: 0,
      config: null,
      created_at: tunnel.created_at,
    };
    state.configurations.set(tunnel.id, configuration);
  }
  return configuration;
}

/** Records the change of live connections: `conns_active_at` / `conns_inactive_at`. */
export function noteConnectionChange(tunnel: Tunnel, wasLive: boolean, at: string): void {
  const live = hasLiveConnections(tunnel);
  if (live && !wasLive) {
    tunnel.conns_active_at = at;
    tunnel.conns_inactive_at = null;
  } else if (!live && wasLive) {
    tunnel.conns_inactive_at = at;
  }
}

export function registerTunnelRoutes(api: SandboxApp, { state, now }: RouteDeps): void {
  api.post(BASE, async (c) => {
    const account = requireAccount(c, state);
    const body = await readBody(c, TunnelCreateBodySchema, Codes.tunnelInvalidRequest);
    assertNameFree(state, account.id, body.name);
    const tunnel: Tunnel = {
      id: uuid(),
      account_id: account.id,
      name: body.name,
      config_src: body.config_src,
      secret: body.tunnel_secret ?? newTunnelSecret(),
      created_at: now(),
      deleted_at: null,
      conns_active_at: null,
      conns_inactive_at: null,
      connectors: [],
    };
    state.tunnels.set(tunnel.id, tunnel);
    configurationOf(state, tunnel);
    return ok(c, {
      ...tunnelView(tunnel),
      credentials_file: {
        AccountTag: tunnel.account_id,
        TunnelID: tunnel.id,
        TunnelName: tunnel.name,
        TunnelSecret: tunnel.secret,
      },
      token: tunnelToken(tunnel),
    });
  });

  api.get(BASE, (c) => {
    const account = requireAccount(c, state);
    const query = readQuery(c, TunnelListQuerySchema, Codes.tunnelInvalidRequest);
    const existedAt = query.existed_at ? Date.parse(query.existed_at) : undefined;
    const tunnels = [...state.tunnels.values()].filter((tunnel) => {
      if (tunnel.account_id !== account.id) return false;
      if (query.name !== undefined && tunnel.name !== query.name) return false;
      if (query.uuid !== undefined && tunnel.id !== query.uuid) return false;
      if (query.is_deleted === true && tunnel.deleted_at === null) return false;
      if (query.is_deleted === false && tunnel.deleted_at !== null) return false;
      if (query.status !== undefined && tunnelStatus(tunnel) !== query.status) return false;
      if (query.include_prefix !== undefined && !tunnel.name.startsWith(query.include_prefix)) {
        return false;
      }
      if (query.exclude_prefix !== undefined && tunnel.name.startsWith(query.exclude_prefix)) {
        return false;
      }
      if (existedAt !== undefined) {
        if (Date.parse(tunnel.created_at) > existedAt) return false;
        if (tunnel.deleted_at !== null && Date.parse(tunnel.deleted_at) <= existedAt) return false;
      }
      return true;
    });
    const { result, resultInfo } = paginate(tunnels, query.page, query.per_page);
    return ok(c, result.map(tunnelView), { resultInfo });
  });

  api.get(`${BASE}/:tunnel_id`, (c) => ok(c, tunnelView(requireTunnel(c, state, true))));

  api.patch(`${BASE}/:tunnel_id`, async (c) => {
    const tunnel = requireTunnel(c, state, false);
    const body = await readBody(c, TunnelEditBodySchema, Codes.tunnelInvalidRequest);
    if (body.name !== undefined) {
      assertNameFree(state, tunnel.account_id, body.name, tunnel.id);
      tunnel.name = body.name;
    }
    if (body.tunnel_secret !== undefined) tunnel.secret = body.tunnel_secret;
    return ok(c, tunnelView(tunnel));
  });

  api.delete(`${BASE}/:tunnel_id`, (c) => {
    const tunnel = requireTunnel(c, state, false);
    if (hasLiveConnections(tunnel)) {
      throw apiError(
        400,
        Codes.tunnelHasConnections,
        "Cannot delete tunnel because it has active connections. Clean up the connections first.",
      );
    }
    tunnel.deleted_at = now();
    tunnel.connectors = [];
    return ok(c, tunnelView(tunnel));
  });

  api.get(`${BASE}/:tunnel_id/token`, (c) => ok(c, tunnelToken(requireTunnel(c, state, false))));

  api.get(`${BASE}/:tunnel_id/configurations`, (c) => {
    const tunnel = requireTunnel(c, state, true);
    return ok(c, configurationView(configurationOf(state, tunnel), tunnel.config_src));
  });

  api.put(`${BASE}/:tunnel_id/configurations`, async (c) => {
    const tunnel = requireTunnel(c, state, false);
    const body = await readBody(c, ConfigurationPutBodySchema, Codes.badConfiguration);
    const problem = ingressProblem(body.config);
    if (problem) throw apiError(400, Codes.badConfiguration, `Bad Configuration: ${problem}`);
    const configuration = configurationOf(state, tunnel);
    configuration.version += 1;
    configuration.config = body.config;
    configuration.created_at = now();
    // Connected cloudflared processes pick up the new version over their edge connection.
    for (const connector of tunnel.connectors) connector.config_version = configuration.version;
    return ok(c, configurationView(configuration, tunnel.config_src));
  });

  api.get(`${BASE}/:tunnel_id/connections`, (c) => {
    const tunnel = requireTunnel(c, state, true);
    return ok(c, tunnel.connectors);
  });

  api.delete(`${BASE}/:tunnel_id/connections`, (c) => {
    const tunnel = requireTunnel(c, state, false);
    const { client_id } = readQuery(c, ConnectionsDeleteQuerySchema, Codes.tunnelInvalidRequest);
    const wasLive = hasLiveConnections(tunnel);
    tunnel.connectors =
      client_id === undefined ? [] : tunnel.connectors.filter((conn) => conn.id !== client_id);
    noteConnectionChange(tunnel, wasLive, now());
    return ok(c, null);
  });
}
