#!/usr/bin/env bash
# Mutation testing with StrykerJS, run by hand (never part of scripts/test.sh).
#   pnpm mutate                      every package that has a stryker.config.mjs, one after another
#   pnpm mutate agent                one package (folder name under packages/ or apps/)
#   pnpm mutate agent src/outbox.ts  one package, only the named module(s)
# STRYKER_CONCURRENCY (default 1) sets the test runners; reports land in <package>/reports/mutation.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stryker="$root/node_modules/.bin/stryker"

run_package() {
  local dir="$1"
  shift
  echo "== mutate ${dir#"$root"/}"
  # A run that was killed leaves its sandbox, whose test copies vitest would pick up.
  rm -rf "$dir/.stryker-tmp"
  if [ "$#" -gt 0 ]; then
    (cd "$dir" && "$stryker" run --mutate "$(IFS=,; echo "$*")")
  else
    (cd "$dir" && "$stryker" run)
  fi
}

if [ "$#" -eq 0 ]; then
  for config in "$root"/packages/*/stryker.config.mjs "$root"/apps/*/stryker.config.mjs; do
    [ -f "$config" ] && run_package "$(dirname "$config")"
  done
  exit 0
fi

name="$1"
shift
for dir in "$root/packages/$name" "$root/apps/$name"; do
  if [ -f "$dir/stryker.config.mjs" ]; then
    run_package "$dir" "$@"
    exit 0
  fi
done
echo "no stryker.config.mjs in packages/$name or apps/$name" >&2
exit 2
