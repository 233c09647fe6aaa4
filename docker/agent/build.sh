#!/usr/bin/env bash
# Stages the agent image's context on the host (the app's esbuild bundle, self-contained: builds
# have no network) and runs `docker build` on it with the given arguments, e.g.
#   bash docker/agent/build.sh -t dockflow/agent:latest
#   bash docker/agent/build.sh --build-arg NODE_IMAGE=dockflow-base/node:local -t ...
# Quiet on success, loud on error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
app=@dockflow/agent
fail() { echo "agent image: $*" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cd "$repo"
out=$(pnpm --filter "$app" build 2>&1) || { echo "$out" >&2; fail "pnpm --filter $app build failed"; }
mkdir -p "$ctx/dist"
cp apps/agent/dist/main.mjs "$ctx/dist/main.mjs"
cp "$here/Dockerfile" "$here/entry.mjs" "$here/issue-agent-key.mjs" "$ctx/"
out=$(docker build -q "$@" "$ctx" 2>&1) || { echo "$out" >&2; fail "docker build failed"; }
