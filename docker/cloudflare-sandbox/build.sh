#!/usr/bin/env bash
# Stages the cloudflare-sandbox image's context (an esbuild bundle made on the host: builds need no
# network) and runs `docker build` on it with the given arguments, e.g.
#   bash docker/cloudflare-sandbox/build.sh -t dockflow/cloudflare-sandbox:latest
#   bash docker/cloudflare-sandbox/build.sh --build-arg NODE_IMAGE=dockflow-base/node:local -t ...
# Quiet on success, loud on error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
esbuild=$repo/packages/stack-tests/node_modules/.bin/esbuild
[ -x "$esbuild" ] || { echo "cloudflare-sandbox: esbuild is missing: run pnpm install" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/app"
# pino and hono are bundled; createRequire lets the bundled CommonJS find node's built-ins.
"$esbuild" "$repo/packages/cloudflare-sandbox/src/server.ts" --bundle --platform=node --target=node24 \
  --format=esm --outfile="$ctx/app/server.mjs" --log-level=error \
  --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
  || { echo "cloudflare-sandbox: bundling packages/cloudflare-sandbox/src/server.ts failed" >&2; exit 1; }
cp "$here/Dockerfile" "$ctx/Dockerfile"
if ! out=$(docker build -q "$@" "$ctx" 2>&1); then
  echo "$out" >&2
  echo "cloudflare-sandbox: docker build failed" >&2
  exit 1
fi
