#!/usr/bin/env bash
# Builds the flow image `flow:latest` FROM dockflow-base/node:local (docker/base/build-local.sh):
# bundles packages/flow-runtime on the host (no network in the build), then builds from a temp
# context holding only the Dockerfile and the bundle. Quiet on success; prints the failing step's
# output otherwise. Usage: docker/flow-runtime/build-local.sh (DOCKER_HOST or the default socket)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${FLOW_IMAGE:-flow:latest}
base=${FLOW_NODE_IMAGE:-dockflow-base/node:local}

ctx=$(mktemp -d)
out=$(mktemp)
trap 'rm -rf "$ctx" "$out"' EXIT

fail() {
  echo "flow-runtime/build-local: $1 failed:" >&2
  cat "$out" >&2
  exit 1
}

(cd "$root" && pnpm --filter @dockflow/flow-runtime build) >"$out" 2>&1 || fail "bundling the runtime"
cp "$here/Dockerfile" "$root/packages/flow-runtime/dist/runtime.mjs" "$ctx/"
docker build -q --build-arg "NODE_IMAGE=$base" -t "$image" "$ctx" >"$out" 2>&1 || fail "docker build"
echo "flow-runtime/build-local: $image is built (FROM $base)"
