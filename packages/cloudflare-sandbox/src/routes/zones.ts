import { Codes, ok, paginate } from "../envelope.ts";
import { ZoneListQuerySchema } from "../schemas.ts";
import { zoneView } from "../state.ts";
import {
  type RouteDeps,
  readQuery,
  requireZone,
  type SandboxApp,
  tokenMayUseAccount,
} from "./common.ts";

export function registerZoneRoutes(api: SandboxApp, { state }: RouteDeps): void {
  api.get("/zones", (c) => {
    const query = readQuery(c, ZoneListQuerySchema, Codes.zoneInvalidRequest);
    const token = c.get("token");
    const zones = [...state.zones.values()].filter((zone) => {
      if (!tokenMayUseAccount(state, token, zone.account_id)) return false;
      if (query.name !== undefined && zone.name !== query.name.toLowerCase()) return false;
      if (query.status !== undefined && zone.status !== query.status) return false;
      if (query["account.id"] !== undefined && zone.account_id !== query["account.id"]) {
        return false;
      }
      if (
        query["account.name"] !== undefined &&
        state.accounts.get(zone.account_id)?.name !== query["account.name"]
      ) {
        return false;
      }
      return true;
    });
    const { result, resultInfo } = paginate(zones, query.page, query.per_page);
    return ok(
      c,
      result.map((zone) => zoneView(zone, state.accounts.get(zone.account_id))),
      { resultInfo },
    );
  });

  api.get("/zones/:zone_id", (c) => {
    const zone = requireZone(c, state);
    return ok(c, zoneView(zone, state.accounts.get(zone.account_id)));
  });
}
