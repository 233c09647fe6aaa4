import { strykerConfig } from "../../scripts/stryker-base.mjs";

export default strykerConfig({
  mutate: ["src/labels.ts", "src/common.ts", "src/master/*.ts", "src/flow/requests.ts"],
  testDir: "test",
});
