import { describe, expect, it } from "vitest";
import type { RuleRow } from "../db/schema.ts";
import { accessDomain, routedRules } from "./access-plan.ts";

const rule = (hostname: string, path: string, extra: Partial<RuleRow> = {}): RuleRow => ({
  rule_key: `${hostname} ${path}`,
  hostname,
  path,
  service: "http://web:80",
  zone_name: null,
  origin_request: null,
  access: null,
  agent_id: "a1",
  source: "container:web",
  container_name: "web",
  state: "active",
  grace_until: null,
  replicas: null,
  created_at: new Date(0),
  updated_at: new Date(0),
  ...extra,
});

describe("accessDomain", () => {
  it("turns the parser's anchored plain paths back into Access domains", () => {
    expect(accessDomain(rule("a.example.com", ""))).toBe("a.example.com");
    expect(accessDomain(rule("a.example.com", "^/"))).toBe("a.example.com");
    expect(accessDomain(rule("a.example.com", "^/admin(/.*)?$"))).toBe("a.example.com/admin");
    expect(accessDomain(rule("a.example.com", "^/v1\\.2/api(/.*)?$"))).toBe(
      "a.example.com/v1.2/api",
    );
  });

  it("refuses a regular expression", () => {
    expect(accessDomain(rule("a.example.com", "^/adm.n"))).toEqual({
      error: "Access needs a plain path (such as /admin), not the regular expression ^/adm.n",
    });
  });
});

describe("routedRules", () => {
  const spec = { policy: "allow" as const, emails: ["ops@example.com"] };

  it("adds originRequest.access to a protected rule, keeping its other origin options", () => {
    const protectedRule = rule("a.example.com", "", {
      access: spec,
      origin_request: { noTLSVerify: true },
    });
    expect(
      routedRules([protectedRule], new Map(), new Map([[protectedRule.rule_key, "aud1"]]), "team"),
    ).toEqual([
      {
        ...protectedRule,
        origin_request: {
          noTLSVerify: true,
          access: { required: true, teamName: "team", audTag: ["aud1"] },
        },
      },
    ]);
  });

  it("drops a blocked rule, or answers 503 for it when its hostname stays published", () => {
    const open = rule("a.example.com", "");
    const blockedPath = rule("a.example.com", "^/admin(/.*)?$", { access: spec });
    const alone = rule("b.example.com", "", { access: spec });
    const blocked = new Map([
      [blockedPath.rule_key, "no app"],
      [alone.rule_key, "no app"],
    ]);
    expect(routedRules([open, blockedPath, alone], blocked, new Map(), "team")).toEqual([
      open,
      { ...blockedPath, service: "http_status:503", origin_request: null, access: null },
    ]);
  });

  it("never routes a protected rule without its audience tag as an open one", () => {
    const protectedRule = rule("a.example.com", "", { access: spec });
    expect(routedRules([protectedRule], new Map(), new Map(), "team")).toEqual([]);
    const withAud = new Map([[protectedRule.rule_key, "aud1"]]);
    expect(routedRules([protectedRule], new Map(), withAud, undefined)).toEqual([]);
  });
});
