import { describe, expect, it } from "vitest";
import { signDelivery } from "./signature.ts";
import { verifiedPayload } from "./verify.ts";

const SECRET = "a-secret-of-sixteen+";
const body = JSON.stringify({
  id: "evt_1",
  type: "test",
  at: "2026-01-01T00:00:00.000Z",
  text: "t",
  data: {},
});
const headers = (signature: string) => ({
  "x-dockflow-timestamp": "1700000000",
  "x-dockflow-signature": signature,
});

describe("verifiedPayload", () => {
  it("parses a body whose signature matches", () => {
    const request = { headers: headers(signDelivery(SECRET, 1700000000, body)), body };
    expect(verifiedPayload(request, SECRET).id).toBe("evt_1");
  });

  it("refuses another secret, a changed body and missing headers", () => {
    const signed = signDelivery(SECRET, 1700000000, body);
    expect(() => verifiedPayload({ headers: headers(signed), body }, `${SECRET}x`)).toThrow(
      "signature mismatch",
    );
    expect(() => verifiedPayload({ headers: headers(signed), body: `${body} ` }, SECRET)).toThrow(
      "signature mismatch",
    );
    expect(() => verifiedPayload({ headers: {}, body }, SECRET)).toThrow("header missing");
  });
});
