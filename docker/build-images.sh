#!/usr/bin/env bash
# Builds every image the tests and `pnpm dev` need, from local bases: first docker/base, then each
# docker/*/build-local.sh (one per image recipe). Uses DOCKER_HOST or the default socket.
set -euo pipefail
cd "$(dirname "$0")"
bash base/build-local.sh
for script in */build-local.sh; do
  [ "$script" = base/build-local.sh ] && continue
  bash "$script"
done
