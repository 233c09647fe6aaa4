import { ConsoleConfig } from "@dockflow/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import { json } from "../testing/expect.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("GET /console/config", () => {
  const started: TestMaster[] = [];
  afterAll(async () => {
    for (const t of started) await t.close();
  });

  it("tells the console where the flow manager is, without credentials", async () => {
    const t = await startTestMaster({
      env: { MASTER_CONSOLE_FLOW_MANAGER_URL: "http://127.0.0.1:8000" },
    });
    started.push(t);
    const body = ConsoleConfig.parse(await json(await t.api("/console/config")));
    expect(body).toEqual({ flow_manager_url: "http://127.0.0.1:8000" });
  });

  it("says null when no flow manager is configured", async () => {
    const t = await startTestMaster();
    started.push(t);
    expect(await json(await t.api("/console/config"))).toEqual({ flow_manager_url: null });
  });

  it("refuses a flow manager URL that is not http(s), naming the variable only", () => {
    expect(() =>
      parseConfig({
        MASTER_ADMIN_TOKEN: ADMIN_TOKEN,
        MASTER_CONSOLE_FLOW_MANAGER_URL: "javascript:alert(1)",
      }),
    ).toThrow(
      /^invalid master configuration: MASTER_CONSOLE_FLOW_MANAGER_URL: must be an http\(s\) URL$/,
    );
  });
});
