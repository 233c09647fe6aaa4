#!/usr/bin/env bash
# Builds the base images this project's Dockerfiles need, from what is on this machine, for hosts
# where no image registry can be reached:
#   dockflow-base/busybox:local  FROM scratch + Debian's busybox-static (a shell and coreutils)
#   dockflow-base/node:local     FROM scratch + the host's node binary, its shared libraries, busybox
# Usage: docker/base/build-local.sh   (uses DOCKER_HOST or the default socket)
set -euo pipefail

busybox_bin=/bin/busybox
ldd_out=$(LC_ALL=C ldd "$busybox_bin" 2>&1 || true)
if [[ $ldd_out != *"not a dynamic executable"* ]]; then
  echo "build-local: a static /bin/busybox is needed (apt-get install -y busybox-static)" >&2
  exit 1
fi
node_bin=$(readlink -f "$(command -v node)")

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# busybox
mkdir -p "$ctx/bb/rootfs/bin" "$ctx/bb/rootfs/tmp"
cp "$busybox_bin" "$ctx/bb/rootfs/bin/busybox"
for applet in sh ls cat echo sleep mkdir rm cp mv env wget id true false kill ps nc; do
  ln -s busybox "$ctx/bb/rootfs/bin/$applet"
done
cat > "$ctx/bb/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
CMD ["sh"]
DOCKERFILE
docker build -q -t dockflow-base/busybox:local "$ctx/bb" >/dev/null

# node
mkdir -p "$ctx/node/rootfs/usr/bin" "$ctx/node/rootfs/tmp" "$ctx/node/rootfs/etc"
cp -a "$ctx/bb/rootfs/bin" "$ctx/node/rootfs/bin"
cp "$node_bin" "$ctx/node/rootfs/usr/bin/node"
ldd "$node_bin" | awk '/=>/ {print $3; next} $1 ~ /^\// {print $1}' | while read -r lib; do
  [ -n "$lib" ] || continue
  mkdir -p "$ctx/node/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/node/rootfs$lib"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ctx/node/rootfs/etc/passwd"
echo 'node:x:1000:1000:node:/home/node:/bin/sh' >> "$ctx/node/rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$ctx/node/rootfs/etc/group"
chmod 1777 "$ctx/node/rootfs/tmp"
cat > "$ctx/node/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
CMD ["node"]
DOCKERFILE
docker build -q -t dockflow-base/node:local "$ctx/node" >/dev/null
echo "build-local: dockflow-base/busybox:local and dockflow-base/node:local are built"
