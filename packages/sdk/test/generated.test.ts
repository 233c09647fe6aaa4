import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Parser } from "@asyncapi/parser";
import { clientEvents, replyEventOf, serverEvents } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import { generateAll, SDK_DIR } from "../scripts/lib/outputs.ts";
import { flowPushEventNames, flowRequests, flowServerEventNames } from "../src/index.ts";

describe("generated files", () => {
  it("are up to date with the protocol and the master's routes (else run `pnpm generate`)", async () => {
    const stale: string[] = [];
    for (const file of await generateAll()) {
      const committed = await readFile(join(SDK_DIR, file.path), "utf8").catch(() => "(missing)");
      if (committed !== file.content) stale.push(file.path);
    }
    expect(stale, `stale generated files: run \`pnpm generate\` from the repository root`).toEqual(
      [],
    );
  });

  it("asyncapi.json is a valid AsyncAPI 3.0 document", async () => {
    const text = await readFile(join(SDK_DIR, "generated/asyncapi.json"), "utf8");
    const { document, diagnostics } = await new Parser().parse(text);
    // Severity 0 is an error, 1 a warning; 2 and 3 are hints (e.g. "3.1 exists").
    const problems = diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.code} at ${d.path.join(".")}: ${d.message}`);
    expect(problems).toEqual([]);
    expect(document?.version()).toBe("3.0.0");

    const sends = document!.operations().filterBySend();
    expect(sends.map((o) => o.channels().all()[0]?.address()).sort()).toEqual(
      Object.keys(clientEvents).sort(),
    );
    for (const op of sends) {
      const event = op.channels().all()[0]!.address() as keyof typeof replyEventOf;
      expect(op.reply()?.channel()?.address(), event).toBe(replyEventOf[event]);
      expect(op.extensions().get("x-socketio-ack")?.value(), event).toMatchObject({
        payload: { oneOf: expect.any(Array) },
      });
    }
    const receives = document!.operations().filterByReceive();
    expect(receives.map((o) => o.channels().all()[0]?.address()).sort()).toEqual(
      Object.keys(serverEvents).sort(),
    );
    const errorPayload = document!.components().messages().get("error")?.payload();
    expect(errorPayload?.required()).toEqual(["error_type", "message", "details"]);
  });

  it("the SDK's event tables match the protocol's", () => {
    expect(
      Object.fromEntries(Object.entries(flowRequests).map(([op, { reply }]) => [op, reply])),
    ).toEqual(replyEventOf);
    expect([...flowServerEventNames].sort()).toEqual(Object.keys(serverEvents).sort());
    const replies = new Set<string>(Object.values(replyEventOf));
    expect([...flowPushEventNames].sort()).toEqual(
      Object.keys(serverEvents)
        .filter((e) => !replies.has(e))
        .sort(),
    );
  });
});
