#!/usr/bin/env bash
# Builds the images the tests and `pnpm dev` need, from local bases: first docker/base, then each
# docker/<name>/build-local.sh (one per image recipe), or only the named ones.
# Usage: docker/build-images.sh [name ...]     (uses DOCKER_HOST or the default socket)
set -euo pipefail
cd "$(dirname "$0")"
bash base/build-local.sh
if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for script in */build-local.sh; do
    [ "$script" = base/build-local.sh ] || names+=("${script%/build-local.sh}")
  done
fi
for name in "${names[@]}"; do
  [ -f "$name/build-local.sh" ] || { echo "build-images: no recipe docker/$name/build-local.sh" >&2; exit 1; }
  bash "$name/build-local.sh"
done
