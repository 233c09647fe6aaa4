import { strykerConfig } from "../../scripts/stryker-base.mjs";

export default strykerConfig({
  // The outbox's decisions (admit, classifyFailure); its delivery loop is proven end to end.
  mutate: ["src/discovery-diff.ts", "src/connector-state.ts", "src/outbox.ts:29-65"],
  testDir: "src",
});
