import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signDelivery } from "./signature.ts";

describe("signDelivery", () => {
  it("is sha256= and the HMAC-SHA256 of `timestamp.body` in hex", () => {
    const expected = createHmac("sha256", "s3cret-s3cret-s3cret")
      .update('1700000000.{"a":1}')
      .digest("hex");
    expect(signDelivery("s3cret-s3cret-s3cret", 1700000000, '{"a":1}')).toBe(`sha256=${expected}`);
  });

  it("changes with the timestamp, the body and the secret", () => {
    const signed = signDelivery("secret-one-secret", 1, "{}");
    expect(signDelivery("secret-one-secret", 2, "{}")).not.toBe(signed);
    expect(signDelivery("secret-one-secret", 1, "{ }")).not.toBe(signed);
    expect(signDelivery("secret-two-secret", 1, "{}")).not.toBe(signed);
  });
});
