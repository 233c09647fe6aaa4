#!/usr/bin/env bash
# Stages the master image's context on the host (the app's build output, plus only the packages it
# leaves external, PGlite's wasm among them, copied from the app's installed dependencies by
# externals.mjs, plus the operator console's static build in console/, which the master serves
# at `/`; builds have no network) and runs `docker build` on it with the arguments, e.g.
#   bash docker/master/build.sh -t dockflow/master:latest
#   bash docker/master/build.sh --build-arg NODE_IMAGE=dockflow-base/node:local -t ...
# Quiet on success, loud on error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
app=@dockflow/master
fail() { echo "master image: $*" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cd "$repo"
out=$(pnpm --filter "$app" build 2>&1) || { echo "$out" >&2; fail "pnpm --filter $app build failed"; }
[ -f apps/master/dist/main.mjs ] || fail "apps/master/dist/main.mjs is missing after the build"
cp -r apps/master/dist "$ctx/dist"
rm -f "$ctx"/dist/*.map # source maps stay on the host (tens of MB)
out=$(pnpm --filter @dockflow/console build 2>&1) || { echo "$out" >&2; fail "building the console failed"; }
[ -f apps/console/dist/index.html ] || fail "apps/console/dist/index.html is missing after the build"
cp -r apps/console/dist "$ctx/dist/console" # /app/console: the master's default MASTER_CONSOLE_DIR
out=$(node "$here/externals.mjs" "$ctx/dist" apps/master "$ctx" 2>&1) ||
  { echo "$out" >&2; fail "collecting the bundle's external packages failed"; }
mkdir -p "$ctx/node_modules"
# Only what runs: no sources, type declarations, maps or docs.
find "$ctx/node_modules" -type f \( -name '*.md' -o -name '*.map' -o -name '*.ts' -o -name '*.cts' \
  -o -name '*.mts' -o -name '*.c' -o -name '*.h' -o -name '*.cc' \) -delete
cp "$here/Dockerfile" "$ctx/Dockerfile"
out=$(docker build -q "$@" "$ctx" 2>&1) || { echo "$out" >&2; fail "docker build failed"; }
