import { describe, expect, it } from "vitest";
import { operationOf } from "./gateway.ts";

describe("operationOf", () => {
  it("keeps words and replaces ids, so the label stays bounded", () => {
    expect(
      operationOf(
        "PUT",
        "/accounts/0123456789abcdef0123456789abcdef/cfd_tunnel/6ff42ae2-765d-4adf-8112-31c55c1551ef/configurations",
      ),
    ).toBe("PUT /accounts/:id/cfd_tunnel/:id/configurations");
    expect(operationOf("GET", "/zones")).toBe("GET /zones");
    expect(operationOf("DELETE", "/zones/abc123/dns_records/def456")).toBe(
      "DELETE /zones/:id/dns_records/:id",
    );
    expect(operationOf("GET", "?")).toBe("GET :id");
  });
});
