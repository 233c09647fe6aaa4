import { randomBytes } from "node:crypto";
import { type IncomingHttpHeaders, request } from "node:http";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFrom } from "../src/index.ts";
import { startTestManager, TestClient, type TestManager } from "./helpers.ts";

/**
 * A page on another origin, or one reaching 127.0.0.1 under its own host name (DNS rebinding),
 * must not get a Socket.IO session, whichever transport it opens with; clients outside browsers,
 * same-origin pages and the allowed console origin still connect.
 */
const CONSOLE = "http://localhost:5173";
const EVIL = "http://evil.example";

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to the manager's port with exactly these headers (Host included). */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, setHost: false });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // An accepted websocket upgrade: 101 and no body; the socket is closed at once.
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
    });
    req.on("error", reject);
    req.end();
  });
}

const pollingHandshake = (port: number, headers: Record<string, string>) =>
  rawRequest(port, "GET", "/socket.io/?EIO=4&transport=polling", headers);

const websocketHandshake = (port: number, headers: Record<string, string>) =>
  rawRequest(port, "GET", "/socket.io/?EIO=4&transport=websocket", {
    Connection: "Upgrade",
    Upgrade: "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    ...headers,
  });

/** Connects a socket.io-client with forged headers; resolves with the connect error, if any. */
function connectWith(
  url: string,
  transport: "polling" | "websocket",
  extraHeaders: Record<string, string>,
): Promise<{ connected: boolean; listed?: boolean; error?: string }> {
  const socket = io(url, {
    transports: [transport],
    forceNew: true,
    reconnection: false,
    extraHeaders,
  });
  return new Promise((resolve) => {
    socket.once("connect", () => {
      socket.emit("list_containers", {}, (ack: { ok: boolean }) => {
        socket.close();
        resolve({ connected: true, listed: ack.ok });
      });
    });
    socket.once("connect_error", (error) => {
      socket.close();
      resolve({ connected: false, error: error.message });
    });
  });
}

describe("FLOW_CORS_ORIGINS", () => {
  it("is empty by default and keeps origins as browsers send them", () => {
    expect(configFrom({}).originPolicy).toEqual({ loopbackOnly: true, allowedOrigins: [] });
    expect(
      configFrom({ FLOW_CORS_ORIGINS: " HTTP://LocalHost:5173/ , https://console.example.com:443" })
        .originPolicy.allowedOrigins,
    ).toEqual(["http://localhost:5173", "https://console.example.com"]);
  });

  it("refuses a value that is not an origin, naming the variable and the entry", () => {
    expect(() =>
      configFrom({ FLOW_CORS_ORIGINS: "http://ok.example,console.example.com" }),
    ).toThrow(/FLOW_CORS_ORIGINS: item 2 is not an origin/);
    expect(() => configFrom({ FLOW_CORS_ORIGINS: "http://ok.example/app" })).toThrow(
      /FLOW_CORS_ORIGINS/,
    );
  });

  it("binds the Host rule to loopback listening only", () => {
    expect(configFrom({ HOST: "localhost" }).originPolicy.loopbackOnly).toBe(true);
    const exposed = configFrom({ HOST: "0.0.0.0", FLOW_MANAGER_TOKEN: "a-long-enough-secret" });
    expect(exposed.originPolicy.loopbackOnly).toBe(false);
  });
});

describe("handshakes from browser pages", () => {
  let fm: TestManager;
  let port: number;
  let self: string;

  beforeAll(async () => {
    fm = await startTestManager({ FLOW_CORS_ORIGINS: CONSOLE });
    port = fm.manager.port;
    self = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await fm?.close();
  });

  it("polling: refuses a foreign Origin with 403 and the reason, and no CORS header", async () => {
    const answer = await pollingHandshake(port, { Host: self, Origin: EVIL });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      code: 4,
      message: `forbidden: Origin "${EVIL}" is not allowed; add it to FLOW_CORS_ORIGINS to let that page connect`,
    });
    expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("polling: refuses a rebinding Host even with a matching Origin", async () => {
    const host = `rebind.evil.example:${port}`;
    const answer = await pollingHandshake(port, { Host: host, Origin: `http://${host}` });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).message).toBe(
      `forbidden: Host "${host}" is not a loopback name; this flow manager listens on loopback and answers only localhost, 127.0.0.0/8 and [::1]`,
    );
  });

  it("websocket: refuses a foreign Origin and a rebinding Host on a direct upgrade", async () => {
    const foreign = await websocketHandshake(port, { Host: self, Origin: EVIL });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toBe(
      `forbidden: Origin "${EVIL}" is not allowed; add it to FLOW_CORS_ORIGINS to let that page connect`,
    );
    const host = `rebind.evil.example:${port}`;
    const rebound = await websocketHandshake(port, { Host: host, Origin: `http://${host}` });
    expect(rebound.status).toBe(400);
    expect(rebound.body).toMatch(/^forbidden: Host "rebind\.evil\.example:\d+" is not a loopback/);
  });

  it("websocket and polling: accepts no Origin, a same-origin page and the allowed origin", async () => {
    const cases: Record<string, string>[] = [
      { Host: self },
      { Host: self, Origin: `http://${self}` },
      { Host: `localhost:${port}`, Origin: `http://localhost:${port}` },
      { Host: self, Origin: CONSOLE },
    ];
    for (const headers of cases) {
      expect((await websocketHandshake(port, headers)).status, JSON.stringify(headers)).toBe(101);
      const polling = await pollingHandshake(port, headers);
      expect(polling.status, JSON.stringify(headers)).toBe(200);
      expect(polling.body).toMatch(/^0\{"sid":/);
    }
  });

  it("polling: gives the allowed origin the CORS headers a browser needs, preflight included", async () => {
    const answer = await pollingHandshake(port, { Host: self, Origin: CONSOLE });
    expect(answer.headers["access-control-allow-origin"]).toBe(CONSOLE);
    expect(answer.headers.vary).toMatch(/Origin/);
    const preflight = await rawRequest(port, "OPTIONS", "/socket.io/?EIO=4&transport=polling", {
      Host: self,
      Origin: CONSOLE,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type",
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe(CONSOLE);
    expect(preflight.headers["access-control-allow-methods"]).toMatch(/POST/);
    const same = await pollingHandshake(port, { Host: self, Origin: `http://${self}` });
    expect(same.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("socket.io-client with forged headers: refused on both transports, allowed origin works", async () => {
    for (const transport of ["polling", "websocket"] as const) {
      const evil = await connectWith(fm.url, transport, { Origin: EVIL });
      expect(evil, transport).toMatchObject({ connected: false });
      expect(await connectWith(fm.url, transport, { Origin: CONSOLE }), transport).toEqual({
        connected: true,
        listed: true,
      });
    }
    // Node's XMLHttpRequest will not send a forged Host (the raw polling test above does).
    const rebound = await connectWith(fm.url, "websocket", { Host: `rebind.evil.example:${port}` });
    expect(rebound).toMatchObject({ connected: false });
  });

  it("still serves the SDK's way of connecting (no Origin, websocket)", async () => {
    const client = await TestClient.connect(fm.url);
    expect((await client.call("list_containers", {})).ok).toBe(true);
    client.close();
  });
});
