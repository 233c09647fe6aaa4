import { describe, expect, it } from "vitest";
import { withSecretFiles } from "./secret-files.ts";

const files: Record<string, string> = {
  "/run/secrets/admin": "  admin-token-from-a-secret-file\n",
};
const read = (path: string) => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
  return content;
};

describe("withSecretFiles", () => {
  it("reads <NAME>_FILE into <NAME>, trimmed, and leaves the rest alone", () => {
    expect(
      withSecretFiles({ MASTER_ADMIN_TOKEN_FILE: "/run/secrets/admin", PORT: "8080" }, read),
    ).toEqual({
      MASTER_ADMIN_TOKEN_FILE: "/run/secrets/admin",
      MASTER_ADMIN_TOKEN: "admin-token-from-a-secret-file",
      PORT: "8080",
    });
  });

  it("refuses both the variable and its file, and names an unreadable file without content", () => {
    expect(() =>
      withSecretFiles(
        { DATABASE_URL: "postgres://x", DATABASE_URL_FILE: "/run/secrets/admin" },
        read,
      ),
    ).toThrow("set DATABASE_URL or DATABASE_URL_FILE, not both");
    expect(() => withSecretFiles({ CLOUDFLARE_API_TOKEN_FILE: "/run/secrets/cf" }, read)).toThrow(
      "CLOUDFLARE_API_TOKEN_FILE /run/secrets/cf cannot be read (ENOENT)",
    );
  });

  it("ignores variables that cannot come from files", () => {
    expect(withSecretFiles({ PORT_FILE: "/run/secrets/admin" }, read)).toEqual({
      PORT_FILE: "/run/secrets/admin",
    });
  });
});
