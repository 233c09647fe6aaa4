#!/usr/bin/env bash
# A three-node Docker Swarm (one manager, two workers) in network namespaces, for the cluster tests
# and by hand. See docs/operations.md#a-three-node-test-cluster.
#
#   bash scripts/cluster.sh up            # start it; prints its start-up time
#   source /tmp/dfc/env                   # TEST_CLUSTER_NODES etc. for `pnpm vitest run --project @dockflow/cluster-tests`
#   bash scripts/cluster.sh kill n2       # SIGKILL node n2's engine and containers (a node failure)
#   bash scripts/cluster.sh start n2      # start node n2's engine again (it rejoins)
#   bash scripts/cluster.sh down          # stop and remove everything it made
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
source scripts/lib/cluster.sh

case ${1:-} in
  up) cluster_up ;;
  down) cluster_down ;;
  kill) cluster_engine_kill "${2:?node name (n1, n2, n3)}" ;;
  start) cluster_engine_start "${2:?node name (n1, n2, n3)}" && cluster_engine_ready "$2" ;;
  *) die "usage: scripts/cluster.sh up|down|kill NODE|start NODE" ;;
esac
