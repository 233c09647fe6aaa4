/**
 * Operator console benchmark (run by hand, not part of the tests):
 *   pnpm --filter @dockflow/console build && pnpm --filter @dockflow/bench console
 *
 * In one run, with Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) on loopback:
 * 1. Initial JavaScript: every script the browser loads up to the first usable page (the sign-in
 *    page, then the signed-in overview), gzipped as a server would send it; aim <= 200 KiB.
 * 2. Time to interactive: navigation start to a usable sign-in form, and sign-in click to the
 *    overview's heading; the median of CONSOLE_BENCH_LOADS loads.
 * 3. The Flows page with CONSOLE_BENCH_CONTAINERS (500) containers whose usage changes once a
 *    second: input latency of typing into the search box (Event Timing: keydown to next paint,
 *    p50/p95) and long tasks (> 50 ms) over CONSOLE_BENCH_SECONDS.
 * The master is real (PGlite in memory, serving apps/console/dist); the flow side is a load
 * generator speaking the flow manager's Socket.IO protocol for the synthetic containers (500 real
 * containers would measure the engine, not the page).
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startMaster } from "@dockflow/master";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "@dockflow/testkit";
import { chromium, type Page } from "playwright-core";
import { Server } from "socket.io";

const CONTAINERS = Number(process.env.CONSOLE_BENCH_CONTAINERS ?? 500);
const SECONDS = Number(process.env.CONSOLE_BENCH_SECONDS ?? 30);
const LOADS = Number(process.env.CONSOLE_BENCH_LOADS ?? 5);
const DIST = join(import.meta.dirname, "../apps/console/dist");
const TOKEN = "console-bench-admin-token-0123456789";

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** A Socket.IO server answering as the flow manager does, for `n` synthetic running containers. */
async function flowFeed(
  n: number,
): Promise<{ url: string; setUpdating(on: boolean): void; close(): void }> {
  let updating = true;
  const http = createServer();
  const io = new Server(http, { serveClient: false, cors: { origin: true } });
  const started = new Date().toISOString();
  const containers = Array.from({ length: n }, (_, i) => ({
    id: `${i.toString(16).padStart(12, "0")}${"0".repeat(52)}`,
    name: `bench-${String(i).padStart(4, "0")}`,
    image: "flow:latest",
    status: "running" as const,
    health: "none" as const,
    created_at: started,
  }));
  const usage = (i: number, t: number) => ({
    cpu_percent: 50 + 40 * Math.sin(t / 5 + i),
    memory_percent: 30 + 20 * Math.cos(t / 7 + i),
    memory_usage_bytes: 64 * 1024 * 1024,
    memory_limit_bytes: 256 * 1024 * 1024,
    network_rx_bytes: t * 1000,
    network_tx_bytes: t * 800,
    block_read_bytes: 0,
    block_write_bytes: 0,
    pids: 7,
    sampled_at: new Date().toISOString(),
  });
  io.on("connection", (socket) => {
    const answer =
      (make: (payload: { request_id?: string }) => unknown) =>
      (payload: { request_id?: string }, ack?: (r: unknown) => void) =>
        ack?.({ ok: true, data: { request_id: payload.request_id, ...(make(payload) as object) } });
    socket.on(
      "list_containers",
      answer(() => ({ containers })),
    );
    socket.on(
      "get_activity_log",
      answer(() => ({ entries: [] })),
    );
    let t = 0;
    const timer = setInterval(() => {
      if (!updating) return;
      t++;
      socket.emit("container_status_update", {
        containers: containers.map((c, i) => ({
          ...c,
          resource_usage: usage(i, t),
          uptime_seconds: t,
          restart_count: 0,
        })),
        timestamp: new Date().toISOString(),
      });
    }, 1000);
    socket.on("disconnect", () => clearInterval(timer));
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const { port } = http.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    setUpdating: (on) => {
      updating = on;
    },
    close: () => void io.close(),
  };
}

/** Every JavaScript response of a page load, by URL (the body as served, before compression). */
function recordScripts(page: Page): Map<string, Promise<Buffer>> {
  const scripts = new Map<string, Promise<Buffer>>();
  page.on("response", (response) => {
    if (response.url().endsWith(".js")) scripts.set(response.url(), response.body());
  });
  return scripts;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
/** Each script's gzipped size (as a server would send it), and their sum. */
async function gzipped(scripts: Map<string, Promise<Buffer>>) {
  const sizes = await Promise.all(
    [...scripts].map(async ([url, body]) => ({
      path: new URL(url).pathname,
      bytes: gzipSync(await body, { level: 9 }).length,
    })),
  );
  return {
    total: sizes.reduce((sum, s) => sum + s.bytes, 0),
    list: sizes.map((s) => `${s.path} ${kib(s.bytes)}`).join(", "),
  };
}

/**
 * Types "bench" and clears it into the focused search box, a key every 200 ms, for `seconds`, and
 * prints the input latency (Event Timing: keydown to the next paint) and the long tasks.
 */
async function typeFor(page: Page, label: string, seconds: number): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __latencies: number[]; __longTasks: number[] };
    w.__latencies.length = 0;
    w.__longTasks.length = 0;
  });
  const deadline = Date.now() + seconds * 1000;
  let keys = 0;
  const word = ["b", "e", "n", "c", "h", ...Array(5).fill("Backspace")];
  while (Date.now() < deadline) {
    for (const key of word) {
      await page.keyboard.press(key);
      keys++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const { latencies, longTasks } = await page.evaluate(() => {
    const w = window as unknown as { __latencies: number[]; __longTasks: number[] };
    return { latencies: [...w.__latencies], longTasks: [...w.__longTasks] };
  });
  // Event Timing reports only events of 16 ms or more; the others count as 16 ms.
  const all = [...latencies, ...Array(Math.max(0, keys - latencies.length)).fill(16)];
  const longTotal = longTasks.reduce((a, b) => a + b, 0);
  console.log(
    `  flows page, ${label}: ${keys} keys, input latency p50 ${pct(all, 50).toFixed(0)} ms, p95 ${pct(all, 95).toFixed(0)} ms; long tasks ${longTasks.length} (${longTotal.toFixed(0)} ms in ${seconds} s, longest ${Math.max(0, ...longTasks).toFixed(0)} ms)`,
  );
}

async function main() {
  await readFile(join(DIST, "index.html")).catch(() => {
    throw new Error(`${DIST} is missing: pnpm --filter @dockflow/console build`);
  });
  const feed = await flowFeed(CONTAINERS);
  const master = await startMaster({
    PORT: "0",
    DATA_DIR: "memory://",
    MASTER_ADMIN_TOKEN: TOKEN,
    MASTER_CONSOLE_DIR: DIST,
    MASTER_CONSOLE_FLOW_MANAGER_URL: feed.url,
    LOG_LEVEL: "silent",
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  try {
    console.log(
      `console benchmark: ${CONTAINERS} containers, ${SECONDS} s, Chromium ${browser.version()}`,
    );

    // 1 and 2: cold loads in fresh contexts.
    const signInMs: number[] = [];
    const overviewMs: number[] = [];
    let signInJs = { total: 0, list: "" };
    let consoleJs = { total: 0, list: "" };
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ baseURL: master.url });
      const page = await context.newPage();
      const scripts = recordScripts(page);
      await page.goto("/");
      await page.getByLabel("Admin token").waitFor();
      signInMs.push(await page.evaluate(() => performance.now()));
      signInJs = await gzipped(scripts);
      await page.getByLabel("Admin token").fill(TOKEN);
      const clicked = await page.evaluate(() => performance.now());
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      overviewMs.push((await page.evaluate(() => performance.now())) - clicked);
      consoleJs = await gzipped(scripts);
      await context.close();
    }
    console.log(
      `  initial JS, sign-in page         ${kib(signInJs.total)} gzipped (${signInJs.list})`,
    );
    console.log(
      `  initial JS, signed-in overview   ${kib(consoleJs.total)} gzipped (${consoleJs.list})`,
    );
    console.log(`  sign-in page usable              median ${pct(signInMs, 50).toFixed(0)} ms`);
    console.log(`  sign-in to overview              median ${pct(overviewMs, 50).toFixed(0)} ms`);

    // 3: the Flows page under a status update per second for every container.
    const context = await browser.newContext({ baseURL: master.url });
    const page = await context.newPage();
    await page.goto("/");
    await page.getByLabel("Admin token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.goto("/flows");
    // Every container listed (the page shows the first 50 of them).
    await page.getByText(`(${CONTAINERS} flows)`).waitFor();
    await page.evaluate(() => {
      const w = window as unknown as { __latencies: number[]; __longTasks: number[] };
      w.__latencies = [];
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.name === "keydown") w.__latencies.push(e.duration);
      }).observe({
        type: "event",
        durationThreshold: 16,
        buffered: false,
      } as PerformanceObserverInit);
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push(e.duration);
      }).observe({ type: "longtask", buffered: false });
    });
    await page.getByLabel("Search flows").focus();
    // The baseline (no update arriving), then the same typing under an update per second.
    feed.setUpdating(false);
    await typeFor(page, "no updates (baseline)", SECONDS);
    feed.setUpdating(true);
    await typeFor(page, `${CONTAINERS} containers updating 1/s`, SECONDS);
    await context.close();
  } finally {
    await browser.close();
    await master.close();
    feed.close();
  }
}

await main();
