#!/usr/bin/env bash
# Runs a command with the project's Node.js first on PATH: the machine's node when it is 24 or
# newer, otherwise the Node 24 that scripts/setup.sh installed into .tools (installed now if absent).
# `pnpm dev` goes through it, so the services run on Node 24 whatever node started pnpm.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
ensure_node
exec "$@"
