import { createHash } from "node:crypto";
import { ok, paginate } from "../envelope.ts";
import { type RouteDeps, requireAccount, type SandboxApp, tokenMayUseAccount } from "./common.ts";

/** Accounts and token verification: what a client calls to check its credentials. */
export function registerAccountRoutes(api: SandboxApp, { state }: RouteDeps): void {
  api.get("/user/tokens/verify", (c) => {
    const id = createHash("sha256").update(c.get("token")).digest("hex").slice(0, 32);
    return ok(c, { id, status: "active" }, {});
  });

  api.get("/accounts", (c) => {
    const token = c.get("token");
    const accounts = [...state.accounts.values()].filter((account) =>
      tokenMayUseAccount(state, token, account.id),
    );
    const page = Math.max(1, Number(c.req.query("page") ?? 1) || 1);
    const perPage = Math.min(50, Math.max(1, Number(c.req.query("per_page") ?? 20) || 20));
    const { result, resultInfo } = paginate(accounts, page, perPage);
    return ok(
      c,
      result.map((account) => ({
        id: account.id,
        name: account.name,
        type: "standard",
        created_on: account.created_on,
        settings: { enforce_twofactor: false },
      })),
      { resultInfo },
    );
  });

  api.get("/accounts/:account_id", (c) => {
    const account = requireAccount(c, state);
    return ok(c, {
      id: account.id,
      name: account.name,
      type: "standard",
      created_on: account.created_on,
      settings: { enforce_twofactor: false },
    });
  });
}
