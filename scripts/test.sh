#!/usr/bin/env bash
# The one command that runs every test: provides a Docker engine (plus an isolated swarm engine) and
# PostgreSQL when they are not already there, checks types and lint, runs the whole vitest suite,
# and stops whatever it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
source scripts/lib/cluster.sh
trap stop_started EXIT

ensure_node
ensure_pnpm
install_packages
ensure_docker
ensure_test_tools
ensure_swarm_engine
ensure_postgres
build_images
# The swarm engine only runs connectors and labelled services in the agent's Swarm tests.
DOCKER_HOST=$TEST_SWARM_DOCKER_HOST build_images cloudflared-standin
# Three engines joined into one Swarm, for the cluster tests (packages/cluster-tests).
ensure_cluster

log "typecheck and lint"
pnpm -s typecheck
pnpm -s lint
log "tests on Node.js $(node --version) (engine: ${DOCKER_HOST:-default socket}, swarm engine: $TEST_SWARM_DOCKER_HOST, cluster: $TEST_CLUSTER_NODES, database: $TEST_DATABASE_URL)"
pnpm -s vitest run "$@"

# The older supported Node: the tests that need no Docker engine (the protocol, the Cloudflare
# stand-in, the master on PostgreSQL) run again on Node 22. Skipped when a filter was given.
if [ $# -eq 0 ]; then
  compat_node="$(install_node "$NODE_COMPAT_VERSION")/node"
  log "unit tests on Node.js $("$compat_node" --version)"
  "$compat_node" node_modules/vitest/vitest.mjs run \
    --project @dockflow/protocol --project @dockflow/cloudflare-sandbox --project @dockflow/master
fi
