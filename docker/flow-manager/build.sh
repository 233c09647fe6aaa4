#!/usr/bin/env bash
# Stages the flow-manager image's context on the host (the app's esbuild bundle + the packages it
# leaves external; builds have no network) and runs `docker build` on it with the given
# arguments, e.g.
#   bash docker/flow-manager/build.sh -t dockflow/flow-manager:latest
#   bash docker/flow-manager/build.sh --build-arg NODE_IMAGE=dockflow-base/node:local -t ...
# Quiet on success, loud on error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
app=@dockflow/flow-manager
fail() { echo "flow-manager image: $*" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cd "$repo"
out=$(pnpm --filter "$app" build 2>&1) || { echo "$out" >&2; fail "pnpm --filter $app build failed"; }
mkdir -p "$ctx/dist"
cp apps/flow-manager/dist/main.mjs "$ctx/dist/main.mjs"
# The packages the bundle leaves external (dockerode, socket.io, pino, ...) with their dependencies,
# copied from the app's installed dependencies (shared helper of the master image).
out=$(node "$here/../master/externals.mjs" "$ctx/dist" apps/flow-manager "$ctx" 2>&1) ||
  { echo "$out" >&2; fail "collecting the bundle's external packages failed"; }
mkdir -p "$ctx/node_modules"
# Only what runs: no sources, type declarations, maps or docs.
find "$ctx/node_modules" -type f \( -name '*.md' -o -name '*.map' -o -name '*.ts' -o -name '*.cts' \
  -o -name '*.mts' -o -name '*.c' -o -name '*.h' -o -name '*.cc' \) -delete
cp "$here/Dockerfile" "$ctx/Dockerfile"
out=$(docker build -q "$@" "$ctx" 2>&1) || { echo "$out" >&2; fail "docker build failed"; }
