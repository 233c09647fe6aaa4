#!/usr/bin/env bash
# Builds dockflow/postgres-local:local FROM scratch with the host's PostgreSQL 15 binaries
# (/usr/lib/postgresql/15), the shared libraries they load and busybox: the stack's database where
# `postgres:16-alpine` cannot be pulled. Quiet on success, loud on error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pg=${PG_DIR:-/usr/lib/postgresql/15}
share=/usr/share/postgresql/$(basename "$pg")
tag=${IMAGE:-dockflow/postgres-local:local}
[ -x "$pg/bin/postgres" ] || { echo "postgres-local: $pg/bin/postgres is missing (apt-get install -y postgresql)" >&2; exit 1; }
busybox_bin=/bin/busybox
[ -x "$busybox_bin" ] || busybox_bin=$(command -v busybox)

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/usr/local/bin" "$root$pg/bin" "$root$pg/lib" \
  "$root/usr/share/postgresql" "$ctx/data"
cp "$busybox_bin" "$root/bin/busybox"
for applet in sh ls cat echo mkdir rm cp mv env id true false kill ps mktemp printf chmod; do
  ln -s busybox "$root/bin/$applet"
done
bins="postgres initdb pg_ctl pg_isready psql pg_dump pg_restore"
for b in $bins; do cp "$pg/bin/$b" "$root$pg/bin/"; done
# Server modules initdb and the server load (plpgsql, encodings, snowball), without the JIT.
find "$pg/lib" -maxdepth 1 -name '*.so' ! -name 'llvmjit*' -exec cp {} "$root$pg/lib/" \;
cp -r "$share" "$root/usr/share/postgresql/"
rm -rf "$root$share/man"
cp -r /usr/share/zoneinfo "$root/usr/share/zoneinfo"
for f in $bins; do ldd "$pg/bin/$f"; done | awk '/=>/ {print $3; next} $1 ~ /^\// {print $1}' | sort -u |
  while read -r lib; do
    [ -n "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
chmod 700 "$ctx/data"
cp "$here/entrypoint.sh" "$root/usr/local/bin/entrypoint.sh"
cp "$here/Dockerfile" "$ctx/Dockerfile"
if ! out=$(docker build -q -t "$tag" "$ctx" 2>&1); then
  echo "$out" >&2
  echo "postgres-local: docker build of $tag failed" >&2
  exit 1
fi
