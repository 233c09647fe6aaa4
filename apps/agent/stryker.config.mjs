import { strykerConfig } from "../../scripts/stryker-base.mjs";

export default strykerConfig({
  mutate: ["src/discovery-diff.ts", "src/outbox.ts", "src/connector-state.ts"],
  testDir: "src",
});
