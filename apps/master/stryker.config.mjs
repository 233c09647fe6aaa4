import { strykerConfig } from "../../scripts/stryker-base.mjs";

export default strykerConfig({
  mutate: [
    "src/cloudflare/zones.ts",
    "src/cloudflare/ingress.ts",
    "src/db/batcher.ts",
    "src/auth/key-cache.ts",
    "src/auth/guards.ts:34-48",
    "src/queue/decisions.ts",
    "src/services/rules.ts",
    "src/services/reconciler.ts",
  ],
  testDir: "src",
});
