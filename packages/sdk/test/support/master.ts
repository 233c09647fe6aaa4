import { randomBytes } from "node:crypto";
import { createCloudflareSandbox } from "@dockflow/cloudflare-sandbox";
import { startMaster } from "@dockflow/master";
import { createTestDatabase } from "@dockflow/testkit";

export const SANDBOX_ZONE = "example.com";

export interface TestMaster {
  url: string;
  adminToken: string;
  close(): Promise<void>;
}

/**
 * A real master in this process, on its own PostgreSQL database (TEST_DATABASE_URL), driving the
 * Cloudflare stand-in over loopback.
 */
export async function startTestMaster(): Promise<TestMaster> {
  const db = await createTestDatabase("dockflow_sdk");
  const sandbox = createCloudflareSandbox({ zones: [SANDBOX_ZONE], rateLimit: false });
  const cloudflare = await sandbox.listen({ port: 0, host: "127.0.0.1" });
  const adminToken = `sdk-admin-${randomBytes(24).toString("hex")}`;
  try {
    const master = await startMaster({
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: db.url,
      MASTER_ADMIN_TOKEN: adminToken,
      CLOUDFLARE_API_TOKEN: sandbox.token,
      CLOUDFLARE_ACCOUNT_ID: sandbox.accountId,
      CLOUDFLARE_BASE_URL: cloudflare.url,
      // Reconciliation runs when the test asks for it.
      RECONCILE_INTERVAL_SECONDS: "3600",
      LOG_LEVEL: process.env.MASTER_TEST_LOG_LEVEL ?? "silent",
    });
    return {
      url: master.url,
      adminToken,
      async close() {
        await master.close();
        await cloudflare.close();
        await db.drop();
      },
    };
  } catch (error) {
    await cloudflare.close();
    await db.drop();
    throw error;
  }
}
