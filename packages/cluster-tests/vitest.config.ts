import { defineProject } from "vitest/config";

// Scenarios on the three-node Swarm that scripts/test.sh starts (TEST_CLUSTER_NODES). The files
// share the cluster and some kill or drain its nodes, so they run one at a time. Generous limits
// (engines start, Swarm reschedules, a shared 2-core machine); no assertion depends on them.
export default defineProject({
  test: {
    name: "@dockflow/cluster-tests",
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
