# shellcheck shell=bash
# Helpers shared by scripts/setup.sh and scripts/test.sh: each ensures one thing the project needs,
# uses what is already there when it can, starts it when it cannot, and records what it started so
# that stop_started can stop exactly that and nothing else.

PNPM_VERSION=10.34.9
STATE_DIR=${DOCKFLOW_STATE_DIR:-/tmp/dockflow-services}
STARTED=()
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

log() { printf '[dockflow] %s\n' "$*" >&2; }
die() { printf '[dockflow] error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
is_debian() { [ -f /etc/debian_version ]; }

apt_install() {
  is_root && is_debian || die "missing $* and cannot install it here (needs root on Debian): install $* yourself"
  if [ -z "${APT_UPDATED:-}" ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_pnpm() {
  if command -v pnpm >/dev/null && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then return; fi
  log "installing pnpm@$PNPM_VERSION with npm"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || die "npm install -g pnpm@$PNPM_VERSION failed"
  hash -r
}

install_packages() {
  mkdir -p "$STATE_DIR"
  log "pnpm install (log: $STATE_DIR/pnpm-install.log)"
  pnpm install --frozen-lockfile --reporter=append-only >"$STATE_DIR/pnpm-install.log" 2>&1 \
    || { tail -n 30 "$STATE_DIR/pnpm-install.log" >&2; die "pnpm install failed"; }
}

# Node.js: the project runs on Node 24 LTS. When the machine's node is older, the `node` package of
# the npm registry (it brings the official binary through its install script, nothing else is
# downloaded) goes into $TOOLS_DIR and is put first on PATH for everything these scripts start.
NODE_VERSION=24.21.0
NODE_COMPAT_VERSION=22.23.3 # CI also runs the unit tests on Node 22 (scripts/test.sh)
TOOLS_DIR=${DOCKFLOW_TOOLS_DIR:-$PWD/.tools}

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# install_node VERSION: installs that Node.js into $TOOLS_DIR (once) and prints its bin folder.
install_node() {
  local version=$1 dir="$TOOLS_DIR/node-$1"
  if [ ! -x "$dir/node_modules/node/bin/node" ]; then
    log "installing Node.js $version from the npm registry into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --silent "node@$version" >"$dir.log" 2>&1 \
      || { tail -n 20 "$dir.log" >&2; die "npm install node@$version failed"; }
  fi
  printf '%s\n' "$dir/node_modules/node/bin"
}

ensure_node() {
  if [ "$(node_major)" -ge 24 ]; then return; fi
  local bin
  bin=$(install_node "$NODE_VERSION")
  export PATH="$bin:$PATH"
  hash -r
  log "using Node.js $(node --version) from $bin (the machine's node is older than 24)"
}

wait_for() { # wait_for SECONDS COMMAND...: poll until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# The engine at DOCKER_HOST (or the default socket); started from Debian's docker.io when absent.
ensure_docker() {
  if docker info >/dev/null 2>&1; then return; fi
  [ -z "${DOCKER_HOST:-}" ] || die "DOCKER_HOST=$DOCKER_HOST does not answer (docker info fails)"
  command -v dockerd >/dev/null || apt_install docker.io
  is_root || die "no Docker engine answers and starting one needs root: start dockerd or set DOCKER_HOST"
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  mkdir -p "$STATE_DIR"
  dockerd --ip 127.0.0.1 --pidfile "$STATE_DIR/dockerd.pid" >"$STATE_DIR/dockerd.log" 2>&1 &
  STARTED+=("dockerd:$STATE_DIR/dockerd.pid")
  wait_for 60 docker info || die "dockerd did not come up; see $STATE_DIR/dockerd.log"
}

# A second, isolated engine in Swarm mode, so Swarm tests never touch the main engine's swarm state.
ensure_swarm_engine() {
  local dir="$STATE_DIR/swarm" sock
  sock="unix://$dir/docker.sock"
  if [ -n "${TEST_SWARM_DOCKER_HOST:-}" ]; then return; fi
  if DOCKER_HOST=$sock docker info >/dev/null 2>&1; then
    export TEST_SWARM_DOCKER_HOST=$sock
  else
    command -v dockerd >/dev/null || apt_install docker.io
    is_root || die "the Swarm tests need a second engine, which needs root: set TEST_SWARM_DOCKER_HOST to a swarm-mode engine"
    mkdir -p "$dir"
    command -v ip >/dev/null || apt_install iproute2
    # Its own network namespace: its bridges, iptables rules and swarm ports never meet the main engine's.
    ip netns add dockflow-swarm 2>/dev/null || true
    ip netns exec dockflow-swarm ip link set lo up
    log "starting an isolated swarm engine at $sock (network namespace dockflow-swarm)"
    nsenter --net=/var/run/netns/dockflow-swarm dockerd --data-root "$dir/data" --exec-root "$dir/exec" \
      --pidfile "$dir/dockerd.pid" -H "$sock" >"$dir/dockerd.log" 2>&1 &
    STARTED+=("dockerd:$dir/dockerd.pid" "netns:dockflow-swarm")
    wait_for 60 env DOCKER_HOST="$sock" docker info || die "swarm engine did not start; see $dir/dockerd.log"
    export TEST_SWARM_DOCKER_HOST=$sock
  fi
  if [ "$(DOCKER_HOST=$TEST_SWARM_DOCKER_HOST docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    DOCKER_HOST=$TEST_SWARM_DOCKER_HOST docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  fi
}

# PostgreSQL at TEST_DATABASE_URL; otherwise a throwaway server from the preinstalled binaries.
ensure_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    psql "$TEST_DATABASE_URL" -qAtc 'select 1' >/dev/null 2>&1 || die "TEST_DATABASE_URL does not answer"
    return
  fi
  local bin port=${TEST_PG_PORT:-55432} dir="$STATE_DIR/pg"
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || apt_install postgresql
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  if psql "$TEST_DATABASE_URL" -qAtc 'select 1' >/dev/null 2>&1; then return; fi
  is_root || command -v "$bin/initdb" >/dev/null || die "no PostgreSQL: set TEST_DATABASE_URL or install postgresql"
  log "starting a throwaway PostgreSQL on 127.0.0.1:$port"
  rm -rf "$dir" && mkdir -p "$dir"
  local run=()
  if is_root; then chown postgres "$dir" 2>/dev/null || { id postgres >/dev/null 2>&1 || useradd -r postgres; chown postgres "$dir"; }; run=(su postgres -s /bin/sh -c); else run=(sh -c); fi
  "${run[@]}" "$bin/initdb -D $dir/data -A trust -U postgres >/dev/null && $bin/pg_ctl -D $dir/data -o '-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off' -l $dir/log -w start >/dev/null" \
    || die "PostgreSQL did not start; see $dir/log"
  STARTED+=("pg:$dir/data:$bin")
}

stop_started() {
  local item
  for item in "${STARTED[@]}"; do
    case $item in
      dockerd:*)
        local pidfile=${item#dockerd:}
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null && log "stopped dockerd ($pidfile)" ;;
      netns:*)
        # After its engine has exited (stop_started stops things in the order they started).
        local ns=${item#netns:} pidfile="$STATE_DIR/swarm/dockerd.pid"
        [ -f "$pidfile" ] && { wait_for 30 sh -c "! kill -0 $(cat "$pidfile") 2>/dev/null" || true; }
        ip netns del "$ns" 2>/dev/null && log "removed network namespace $ns" ;;
      cluster) cluster_down ;;
      pg:*)
        local rest=${item#pg:} data bin
        data=${rest%%:*}; bin=${rest#*:}
        if is_root; then su postgres -s /bin/sh -c "$bin/pg_ctl -D $data -m fast stop" >/dev/null 2>&1; else "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1; fi
        log "stopped PostgreSQL" ;;
    esac
  done
}

# The images the tests and `pnpm dev` use, built from local bases (no registry needed).
is_static() {
  local out
  [ -x "$1" ] || return 1
  out=$(LC_ALL=C ldd "$1" 2>&1 || true)
  [[ $out == *"not a dynamic executable"* ]]
}

build_images() { # build_images [name ...]: all images, or only the named ones
  is_static /bin/busybox || apt_install busybox-static
  bash docker/build-images.sh "$@"
}

# Debian packages some suites use: the Python Socket.IO client (the seed's Python example) and
# Compose v1 (the stack test).
ensure_test_tools() {
  local missing=()
  # Debian's interpreter (the one the packages install for), not whichever python3 is first on PATH.
  /usr/bin/python3 -c 'import socketio, websocket' 2>/dev/null || missing+=(python3-socketio python3-websocket)
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
  command -v nsenter >/dev/null || missing+=(util-linux)
  command -v ip >/dev/null || missing+=(iproute2)
  # The console's browser tests drive Debian's Chromium (playwright-core cannot download one here).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}
