#!/usr/bin/env bash
# Builds dockflow/cloudflared-standin:local from dockflow-base/busybox:local (docker/base).
# Usage: docker/cloudflared-standin/build-local.sh   (uses DOCKER_HOST or the default socket)
set -euo pipefail
cd "$(dirname "$0")"
chmod 755 cloudflared.sh
docker build -q --build-arg BUSYBOX_IMAGE=dockflow-base/busybox:local \
  -t dockflow/cloudflared-standin:local . >/dev/null
echo "build-local: dockflow/cloudflared-standin:local is built"
