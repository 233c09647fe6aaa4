#!/usr/bin/env bash
# Sets up everything `pnpm dev` needs on this machine: pnpm, the workspace's packages, a Docker
# engine (Debian's docker.io, started when none answers), and the images built from local bases.
# It leaves the engine running for `pnpm dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh

ensure_node
ensure_pnpm
install_packages
ensure_docker
build_images
log "ready: run 'pnpm dev'"
