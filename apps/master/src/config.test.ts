import { ConfigError } from "@dockflow/config";
import { describe, expect, it } from "vitest";
import { parseConfig } from "./config.ts";

const TOKEN = "admin-token-0123456789";

describe("master configuration", () => {
  it("has the documented defaults", () => {
    expect(parseConfig({ MASTER_ADMIN_TOKEN: TOKEN })).toMatchObject({
      PORT: 8080,
      HOST: "127.0.0.1",
      DATA_DIR: ".data/master",
      CLOUDFLARE_SANDBOX_ZONES: ["example.com"],
      TRUST_PROXY: false,
      LOG_LEVEL: "info",
    });
  });

  it("reads the zone list and the flags the documented ways", () => {
    const config = parseConfig({
      MASTER_ADMIN_TOKEN: TOKEN,
      CLOUDFLARE_SANDBOX_ZONES: " a.example, b.example ,",
      TRUST_PROXY: "yes",
      MASTER_REGION: "  eu  ",
      DATABASE_URL: "",
    });
    expect(config).toMatchObject({
      CLOUDFLARE_SANDBOX_ZONES: ["a.example", "b.example"],
      TRUST_PROXY: true,
      MASTER_REGION: "eu",
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it("refuses placeholder secrets (change-me...) and short ones, naming the variable only", () => {
    const problems = (env: Record<string, string>) => {
      try {
        parseConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ MASTER_ADMIN_TOKEN: "change-me-master-admin-token" })).toEqual([
      {
        variable: "MASTER_ADMIN_TOKEN",
        message: "is a placeholder (it starts with change-me): set a real secret",
      },
    ]);
    expect(
      problems({
        MASTER_ADMIN_TOKEN: TOKEN,
        DATABASE_URL: "postgres://dockflow:change-me-postgres-password@db:5432/dockflow",
      }),
    ).toEqual([
      {
        variable: "DATABASE_URL",
        message: "its password is a placeholder (it starts with change-me): set a real one",
      },
    ]);
    expect(
      problems({
        MASTER_ADMIN_TOKEN: TOKEN,
        CLOUDFLARE_API_TOKEN: "short-cf-token",
        CLOUDFLARE_ACCOUNT_ID: "acc",
      }),
    ).toEqual([{ variable: "CLOUDFLARE_API_TOKEN", message: "must be at least 20 characters" }]);
    expect(
      problems({
        MASTER_ADMIN_TOKEN: TOKEN,
        DATABASE_URL: "postgres://dockflow:s3cret@db/dockflow",
      }),
    ).toEqual([]);
  });

  it("throws a ConfigError that names the variables and never echoes a value", () => {
    let error: unknown;
    try {
      parseConfig({
        MASTER_ADMIN_TOKEN: "too-short",
        CLOUDFLARE_API_TOKEN: "cf-secret-value-long-enough",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    // The token without an account id is the second problem.
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([
      "MASTER_ADMIN_TOKEN",
      "CLOUDFLARE_ACCOUNT_ID",
    ]);
    expect(message).toMatch(/^invalid master configuration: MASTER_ADMIN_TOKEN: /);
    expect(message).not.toContain("too-short");
    expect(message).not.toContain("cf-secret-value");
  });
});
