#!/usr/bin/env bash
# Builds dockflow/master:local from the local node base (docker/base/build-local.sh).
set -euo pipefail
exec bash "$(dirname "$0")/build.sh" --build-arg NODE_IMAGE=dockflow-base/node:local \
  -t "${IMAGE:-dockflow/master:local}"
