import { mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createFlowClient } from "@dockflow/sdk";
import { runLabelledContainer, testRunId, waitFor } from "@dockflow/testkit";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousViolations, type TestBrowser } from "./support/browser.ts";
import {
  ADMIN_TOKEN,
  type ConsoleStack,
  startConsoleStack,
  XSS_AGENT_NAME,
} from "./support/stack.ts";

/**
 * The console in Debian's Chromium against a real master (PostgreSQL, Cloudflare stand-in), a real
 * flow manager on the engine and a real agent: the operator's main paths, untrusted text shown as
 * text, axe-core on every page, the keyboard, and the screenshots of docs/console.md.
 */

const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../docs/console");

/** Markup that sets window.__xss if it is ever interpreted instead of shown. */
const payload = (where: string) =>
  `<img src=x onerror="window.__xss='${where}'"><script>window.__xss='${where}'</script>`;

let stack: ConsoleStack;
let b: TestBrowser;
let page: Page;
const suffix = testRunId.replace(/[^a-z0-9]/gi, "").slice(-8);

/** What the log terminal shows (xterm draws spaces as no-break spaces). */
const terminalText = async () =>
  ((await page.getByRole("log", { name: "Container output" }).textContent()) ?? "").replaceAll(
    "\u00a0",
    " ",
  );
const xssFlag = () => page.evaluate(() => (window as unknown as { __xss?: string }).__xss ?? null);
const heading = (name: string) => page.getByRole("heading", { level: 1, name, exact: true });
const nav = (name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

beforeAll(async () => {
  stack = await startConsoleStack();
  b = await launchBrowser(stack.masterUrl);
  page = b.page;
  page.setDefaultTimeout(30_000);
});

afterAll(async () => {
  await b?.close();
  await stack?.close();
});

describe.sequential("the operator console", () => {
  it("is served by the master with a strict Content-Security-Policy", async () => {
    const response = await fetch(`${stack.masterUrl}/flows`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await response.text()).toContain('<div id="root"></div>');
  });

  it("signs in with the admin token, keeps no token in the page, and recovers on reload", async () => {
    await page.goto("/");
    await page.getByLabel("Admin token").fill("wrong-token-0123456789");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("The master refused this token.").waitFor();

    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Overview").waitFor();
    await page.reload();
    await heading("Overview").waitFor();

    const stored = await page.evaluate(() =>
      JSON.stringify({ ...localStorage, ...sessionStorage }),
    );
    expect(stored).not.toContain(ADMIN_TOKEN);
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    const cookies = await b.context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ["dockflow_session", true, "Strict"],
    ]);
    expect(cookies[0]!.value).not.toContain(ADMIN_TOKEN);
  });

  it("creates and starts a flow from the form, relays messages in order, stops and deletes it", async () => {
    const name = `console-${suffix}`;
    await nav("Flows").click();
    await heading("Flows").waitFor();
    await page.getByRole("button", { name: "Create flow" }).click();

    // The protocol's own message, before anything is sent.
    await page.getByLabel("Name").fill("not a name!");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByText("name: name may contain letters, digits, '_', '.' and '-'").waitFor();

    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Environment").fill(`XSS_VALUE=${payload("env")}`);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await heading(name).waitFor();
    await page.getByText("running", { exact: true }).first().waitFor();
    // The runtime's first log line, followed live.
    await waitFor(async () => (await terminalText()).includes('"msg":"flow runtime listening"'), {
      message: "the runtime's log line in the console",
    });

    const transcript = page.getByRole("list", { name: "Message transcript" });
    const kinds = () =>
      transcript
        .locator("li")
        .evaluateAll((items) => items.map((li) => li.getAttribute("data-kind")));

    await page.getByLabel("Command").fill("progress");
    await page.getByLabel("Data (JSON, optional)").fill('{"steps": 2}');
    await page.getByRole("button", { name: "Send" }).click();
    await waitFor(async () => (await kinds()).length === 5, { message: "the progress reply" });
    expect(await kinds()).toEqual(["request", "sent", "status", "status", "reply"]);
    expect(await transcript.locator("li").last().textContent()).toContain('"done": true');

    // Message data and environment values from the code in the container are shown as text.
    const data = JSON.stringify({ html: payload("message") });
    await page.getByLabel("Command").fill("echo");
    await page.getByLabel("Data (JSON, optional)").fill(data);
    await page.getByRole("button", { name: "Send" }).click();
    await waitFor(async () => (await kinds()).length === 8, { message: "the echo reply" });
    expect(await transcript.locator("li").last().textContent()).toContain(
      payload("message").replaceAll('"', '\\"'),
    );

    await page.getByLabel("Command").fill("env");
    await page.getByLabel("Data (JSON, optional)").fill('{"keys": ["XSS_VALUE"]}');
    await page.getByRole("button", { name: "Send" }).click();
    await waitFor(async () => (await kinds()).length === 11, { message: "the env reply" });
    expect(await transcript.locator("li").last().textContent()).toContain(
      payload("env").replaceAll('"', '\\"'),
    );
    expect(await transcript.locator("img").count()).toBe(0);
    expect(await xssFlag()).toBeNull();

    await page.getByRole("button", { name: `Stop ${name}` }).click();
    await page.getByText("exited", { exact: true }).first().waitFor();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete container" }).click();
    await heading("Flows").waitFor();
    await waitFor(async () => (await page.getByRole("link", { name, exact: true }).count()) === 0, {
      message: "the deleted flow to leave the list",
    });
  });

  it("shows a labelled container's route live, then its grace period once it is removed", async () => {
    const [scopeKey, scopeValue] = stack.scopeLabel.split("=") as [string, string];
    const hostname = `web-${suffix}.example.com`;
    await nav("Routes").click();
    await heading("Routes").waitFor();
    const container = await runLabelledContainer(stack.docker, `console-web-${suffix}`, {
      [scopeKey]: scopeValue,
      "dockflare.enable": "true",
      "dockflare.domain": hostname,
      "dockflare.port": "8080",
      "dockflow.note": payload("label"),
    });
    const row = page.getByTestId("route-row").filter({ hasText: hostname });
    await row.getByText("active", { exact: true }).waitFor();
    expect(await row.getByRole("link", { name: hostname }).getAttribute("href")).toBe(
      `https://${hostname}/`,
    );

    await container.remove({ force: true });
    await row.getByText("grace", { exact: true }).waitFor();
    await row.getByText(/left$/).waitFor();
  });

  it("shows each tunnel's ingress with the operator's own entries told apart from dockflow's", async () => {
    const managedHost = `web-${suffix}.example.com`;
    const operatorHost = `legacy-${suffix}.example.com`;
    // The operator adds an entry in Cloudflare by hand, next to the one dockflow wrote.
    const written = () =>
      [...stack.cloudflare.state.configurations.values()].find((stored) =>
        stored.config?.ingress?.some((rule) => rule.hostname === managedHost),
      );
    await waitFor(() => written() !== undefined, { message: "dockflow's ingress in Cloudflare" });
    const stored = written();
    if (!stored?.config) throw new Error("no tunnel configuration");
    stored.config.ingress = [
      { hostname: operatorHost, service: "http://legacy:8080" },
      ...(stored.config.ingress ?? []),
    ];

    await nav("Tunnels").click();
    await heading("Tunnels").waitFor();
    const entry = (hostname: string) =>
      page.getByTestId("ingress-entry").filter({ hasText: hostname });
    await entry(operatorHost).getByText("operator", { exact: true }).waitFor();
    await entry(managedHost).getByText("dockflow", { exact: true }).waitFor();
    expect(await entry(operatorHost).getByText("dockflow", { exact: true }).count()).toBe(0);
    expect(await entry(managedHost).getByText("operator", { exact: true }).count()).toBe(0);
    await page.getByText("http_status:404", { exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("shows agent names and container labels as text, never as markup", async () => {
    await nav("Agents").click();
    await page.getByRole("link", { name: XSS_AGENT_NAME }).waitFor();
    await nav("Activity").click();
    await page.getByTestId("activity-row").filter({ hasText: "container_start" }).first().waitFor();
    expect(await page.locator("main").textContent()).toContain(
      payload("label").replaceAll('"', '\\"'),
    );
    expect(await page.locator("main img").count()).toBe(0);
    expect(await xssFlag()).toBeNull();
  });

  it("shows a container's log lines as text, and searches and downloads them", async () => {
    const flow = createFlowClient(stack.flowUrl);
    const created = await flow.createContainer({
      image: "flow:latest",
      name: `logs-${suffix}`,
      environment: { LOG_PAYLOAD: payload("log") },
      command: ["sh", "-c", 'printf "%s\\n" "$LOG_PAYLOAD"; echo to-stderr >&2; exec sleep 3600'],
    });
    await flow.startContainer({ container_id: created.container_id });
    flow.close();

    await nav("Flows").click();
    await page.getByRole("link", { name: `logs-${suffix}`, exact: true }).click();
    await heading(`logs-${suffix}`).waitFor();
    await waitFor(async () => (await terminalText()).includes("to-stderr"), {
      message: "the container's output in the console",
    });
    expect(await terminalText()).toContain(payload("log"));
    expect(await page.locator("main img").count()).toBe(0);
    expect(await xssFlag()).toBeNull();

    await page.getByLabel("Search the logs").fill("stderr");
    await page.getByText("1 of 2 lines").waitFor();
    await waitFor(async () => !(await terminalText()).includes("onerror"), {
      message: "the search to hide the other line",
    });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`logs-${suffix}.log`);
    const saved = await readFile((await download.path())!, "utf8");
    // Each line starts with Docker's time for it.
    expect(saved).toMatch(/^(\d{4}-\d\d-\d\dT[\d:.]+Z .*\n){2}$/);
    // stdout and stderr are two pipes: Docker may stamp the stderr line first.
    expect(saved.replace(/^\S+ /gm, "").split("\n").sort()).toEqual(
      ["", payload("log"), "[stderr] to-stderr"].sort(),
    );
  });

  it("opens a terminal in the container: keystrokes run, output with markup is text, closing ends it", async () => {
    // Still on the detail page of the logs test's container, whose LOG_PAYLOAD holds markup.
    const terminal = page.getByTestId("exec-terminal");
    const shown = async () =>
      ((await terminal.locator(".xterm-rows").textContent()) ?? "").replaceAll("\u00a0", " ");
    const state = page.getByTestId("terminal-state");
    await page.getByRole("button", { name: "Open terminal" }).click();
    await state.getByText("Connected: /bin/sh.").waitFor();
    await terminal.click();
    await page.keyboard.type("echo hi-$((40+2))");
    await page.keyboard.press("Enter");
    // The typed line holds the sum unevaluated: only the shell's output holds hi-42.
    await waitFor(async () => (await shown()).includes("hi-42"), {
      message: "the shell's answer in the terminal",
    });
    expect(await shown()).toContain("echo hi-$((40+2))");

    await page.keyboard.type('echo "[$LOG_PAYLOAD]"');
    await page.keyboard.press("Enter");
    await waitFor(async () => (await shown()).includes(`[${payload("log")}]`), {
      message: "the markup echoed as text",
    });
    expect(await terminal.locator("img, script").count()).toBe(0);
    expect(await xssFlag()).toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
    await page
      .getByRole("region", { name: "Terminal" })
      .screenshot({ path: `${SCREENSHOTS}/terminal.png` });

    await page.keyboard.type("exit 3");
    await page.keyboard.press("Enter");
    await state.getByText("The session ended with exit code 3.").waitFor();
    await page.getByRole("button", { name: "Open a new terminal" }).click();
    await state.getByText("Connected: /bin/sh.").waitFor();
    // Closing (as leaving the page does) ends the session on the manager, which records it.
    await page.getByRole("button", { name: "Close terminal" }).click();
    await terminal.waitFor({ state: "detached" });
    await page
      .getByText(/^exec session ended in logs-\S+ \(closed, exit code /)
      .first()
      .waitFor();
    // One session per opening, both ended: the manager's audit trail says so.
    const flow = createFlowClient(stack.flowUrl);
    const { entries } = await flow.getActivityLog({ limit: 1000 });
    flow.close();
    const exec = entries
      .filter((e) => e.activity_type.startsWith("exec_"))
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp))
      .map((e) => [e.activity_type, e.details?.reason ?? null, e.details?.exit_code ?? null]);
    expect(exec.map(([type, reason]) => [type, reason])).toEqual([
      ["exec_started", null],
      ["exec_ended", "exited"],
      ["exec_started", null],
      ["exec_ended", "closed"],
    ]);
    expect(exec[1]![2]).toBe(3);
  });

  it("issues a key and revokes it with the keyboard only", async () => {
    const keyName = `kb-${suffix}`;
    await nav("Keys").click();
    await heading("Agent keys").waitFor();
    const tabTo = async (matches: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press("Tab");
        if (await matches()) return;
      }
      throw new Error(`Tab never reached ${what}`);
    };
    const focused = () =>
      page.evaluate(() => ({
        id: document.activeElement?.id ?? "",
        text: document.activeElement?.textContent ?? "",
        row: document.activeElement?.closest("tr")?.textContent ?? "",
      }));

    await tabTo(async () => (await focused()).id === "key-name", "the key name field");
    await page.keyboard.type(keyName);
    await page.keyboard.press("Enter");
    const shown = (await page.getByTestId("issued-key").textContent()) ?? "";
    expect(shown.length).toBeGreaterThan(20);
    await page.getByText("it is shown only once").waitFor();

    const row = page.getByTestId("key-row").filter({ hasText: keyName });
    await row.getByText("active", { exact: true }).waitFor();
    await tabTo(async () => {
      const f = await focused();
      return f.text === "Revoke" && f.row.includes(keyName);
    }, "the new key's Revoke button");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor();
    await tabTo(
      async () => (await focused()).text === "Revoke key",
      "the dialog's Revoke key button",
    );
    await page.keyboard.press("Enter");
    await row.getByText("revoked", { exact: true }).waitFor();
  });

  it("has no serious or critical axe violation on any page, and documents each page", async () => {
    // A running flow so that the flow pages show one.
    const flow = createFlowClient(stack.flowUrl);
    const created = await flow.createContainer({ image: "flow:latest", name: `demo-${suffix}` });
    await flow.startContainer({ container_id: created.container_id });
    // Some CPU use for the charts: the demo runtime's `burn` keeps a core busy for a minute.
    await flow.sendMessage({
      container_id: created.container_id,
      message: { command: "burn", data: { ms: 60_000 } },
    });
    flow.close();
    await mkdir(SCREENSHOTS, { recursive: true });

    const pages: [string, string, string][] = [
      ["overview", "/", "Overview"],
      ["flows", "/flows", "Flows"],
      ["flow-detail", `/flows/${created.container_id}`, `demo-${suffix}`],
      ["routes", "/routes", "Routes"],
      ["agents", "/agents", "Agents"],
      ["tunnels", "/tunnels", "Tunnels"],
      ["keys", "/keys", "Agent keys"],
      ["activity", "/activity", "Activity"],
    ];
    const found: Record<string, unknown> = {};
    for (const [file, path, title] of pages) {
      // The detail page is opened from the list, so it keeps the usage samples collected so far.
      if (file === "flow-detail")
        await page.getByRole("link", { name: title, exact: true }).click();
      else await page.goto(path);
      await heading(title).waitFor();
      if (file === "flows") {
        // A few usage samples, so that the sparklines show a line.
        const cpu = page.getByRole("img", { name: `CPU of demo-${suffix}` }).locator("polyline");
        await waitFor(
          async () => ((await cpu.getAttribute("points")) ?? "").split(" ").length >= 5,
          {
            message: "five usage samples",
          },
        );
      }
      if (file === "flow-detail")
        await page.getByText("running", { exact: true }).first().waitFor();
      const violations = await seriousViolations(page);
      if (violations.length) found[path] = violations;
      await page.screenshot({ path: `${SCREENSHOTS}/${file}.png` });
    }
    expect(found).toEqual({});
    expect(b.errors).toEqual([]);
  });

  it("signs out: the session is revoked on the server and the sign-in page is back", async () => {
    await page.goto("/");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin token").waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/sign-in.png` });
    expect((await page.request.get("/api/v2/session")).status()).toBe(401);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
