# shellcheck shell=bash
# A three-node Docker Swarm for the cluster tests (issue 13): three dockerd, each in its own network
# namespace and UTS namespace (its own host name), on a private bridge this script creates, joined
# as one manager and two workers, with an attachable overlay network for the connectors. Nothing
# here touches the main engine, its swarm state, or the isolated single-node swarm engine.
#
# Sourced by scripts/test.sh and scripts/cluster.sh (which uses log, die and wait_for from
# scripts/lib/services.sh). State lives in CLUSTER_DIR; the environment the tests need is written to
# CLUSTER_DIR/env (TEST_CLUSTER_NODES and friends).

CLUSTER_PREFIX=${DOCKFLOW_CLUSTER_PREFIX:-dfc}
CLUSTER_DIR=${DOCKFLOW_CLUSTER_DIR:-/tmp/$CLUSTER_PREFIX}
CLUSTER_BRIDGE=$CLUSTER_PREFIX-br0
# 10.231.13.0/24: a private range used only inside the bridge and namespaces this script makes.
CLUSTER_SUBNET_BASE=${DOCKFLOW_CLUSTER_SUBNET_BASE:-10.231.13}
CLUSTER_HOST_ADDR=$CLUSTER_SUBNET_BASE.1
CLUSTER_NODES=(n1 n2 n3)
CLUSTER_OVERLAY=${DOCKFLOW_CLUSTER_OVERLAY:-cloudflare-net}
# Swarm's dispatcher heartbeat: a dead node is marked down after a few missed beats (default 5 s).
CLUSTER_HEARTBEAT=${DOCKFLOW_CLUSTER_HEARTBEAT:-1s}
# The images every node needs: workloads, the connector stand-in, and the stack's own images.
CLUSTER_IMAGES=(dockflow-base/busybox:local dockflow/cloudflared-standin:local dockflow/master:local
  dockflow/agent:local dockflow/postgres-local:local dockflow/cloudflare-sandbox:local)

cluster_ns() { printf '%s-%s' "$CLUSTER_PREFIX" "$1"; }
cluster_addr() { printf '%s.%s' "$CLUSTER_SUBNET_BASE" "$((10 + ${1#n}))"; }
cluster_sock() { printf 'unix://%s/%s/docker.sock' "$CLUSTER_DIR" "$1"; }
cluster_docker() { local node=$1; shift; DOCKER_HOST=$(cluster_sock "$node") docker "$@"; }

# The iptables rule that lets the bridge forward between the namespaces (the main engine's FORWARD
# policy is DROP): in DOCKER-USER when the main engine made it, else in FORWARD.
cluster_fw_chain() { if iptables -n -L DOCKER-USER >/dev/null 2>&1; then echo DOCKER-USER; else echo FORWARD; fi; }

cluster_network_up() {
  ip link add "$CLUSTER_BRIDGE" type bridge
  ip addr add "$CLUSTER_HOST_ADDR/24" dev "$CLUSTER_BRIDGE"
  ip link set "$CLUSTER_BRIDGE" up
  local chain node ns
  chain=$(cluster_fw_chain)
  iptables -I "$chain" -i "$CLUSTER_BRIDGE" -o "$CLUSTER_BRIDGE" -j ACCEPT
  echo "$chain" >"$CLUSTER_DIR/fw-chain"
  for node in "${CLUSTER_NODES[@]}"; do
    ns=$(cluster_ns "$node")
    ip netns add "$ns"
    ip link add "$ns-v" type veth peer name eth0 netns "$ns"
    ip link set "$ns-v" master "$CLUSTER_BRIDGE" up
    ip netns exec "$ns" sh -c "ip addr add $(cluster_addr "$node")/24 dev eth0 && ip link set eth0 up && ip link set lo up"
  done
}

cluster_engine_start() { # cluster_engine_start NODE: dockerd in the node's namespaces
  local node=$1 ns dir
  ns=$(cluster_ns "$node")
  dir=$CLUSTER_DIR/$node
  mkdir -p "$dir"
  # Also reachable by the node's host name: a stack's agent mounts $CLUSTER_DIR/{{.Node.Hostname}}/docker.sock.
  ln -sfn "$node" "$CLUSTER_DIR/$CLUSTER_PREFIX-$node"
  # nsenter (not `ip netns exec`, which remounts /sys) into the network namespace, then a UTS
  # namespace of its own so each node has its own host name; exec keeps dockerd's pid the child's.
  nsenter --net="/var/run/netns/$ns" unshare --uts sh -c \
    "hostname $CLUSTER_PREFIX-$node && exec dockerd --data-root $dir/data --exec-root $dir/exec \
      --pidfile $dir/dockerd.pid -H $(cluster_sock "$node") --ip 127.0.0.1" \
    >>"$dir/dockerd.log" 2>&1 &
}

cluster_engine_ready() { wait_for 60 cluster_docker "$1" info || die "cluster engine $1 did not start; see $CLUSTER_DIR/$1/dockerd.log"; }

cluster_load_images() {
  local image node pids=()
  for image in "${CLUSTER_IMAGES[@]}"; do
    docker image inspect "$image" >/dev/null 2>&1 || die "image $image is missing on the main engine (bash docker/build-images.sh)"
  done
  docker save "${CLUSTER_IMAGES[@]}" -o "$CLUSTER_DIR/images.tar"
  for node in "${CLUSTER_NODES[@]}"; do
    cluster_docker "$node" load -q -i "$CLUSTER_DIR/images.tar" >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "docker load into a cluster engine failed"; done
  rm -f "$CLUSTER_DIR/images.tar"
}

cluster_swarm_init() {
  local manager=${CLUSTER_NODES[0]} addr token node
  addr=$(cluster_addr "$manager")
  cluster_docker "$manager" swarm init --advertise-addr "$addr" --listen-addr "$addr:2377" \
    --dispatcher-heartbeat "$CLUSTER_HEARTBEAT" >/dev/null
  token=$(cluster_docker "$manager" swarm join-token -q worker)
  for node in "${CLUSTER_NODES[@]:1}"; do
    cluster_docker "$node" swarm join --token "$token" --advertise-addr "$(cluster_addr "$node")" \
      --listen-addr "$(cluster_addr "$node"):2377" "$addr:2377" >/dev/null
  done
  wait_for 60 sh -c "[ \$(DOCKER_HOST=$(cluster_sock "$manager") docker node ls --format '{{.Status}}' | grep -c Ready) = ${#CLUSTER_NODES[@]} ]" \
    || die "the cluster's nodes did not all become ready"
  cluster_docker "$manager" network create --driver overlay --attachable "$CLUSTER_OVERLAY" >/dev/null
}

cluster_write_env() {
  local node nodes=() addrs=()
  for node in "${CLUSTER_NODES[@]}"; do
    nodes+=("$(cluster_sock "$node")")
    addrs+=("$(cluster_addr "$node")")
  done
  {
    echo "export TEST_CLUSTER_NODES=$(IFS=,; echo "${nodes[*]}")"
    echo "export TEST_CLUSTER_ADDRESSES=$(IFS=,; echo "${addrs[*]}")"
    echo "export TEST_CLUSTER_HOST_ADDRESS=$CLUSTER_HOST_ADDR"
    echo "export TEST_CLUSTER_NETWORK=$CLUSTER_OVERLAY"
    echo "export TEST_CLUSTER_DIR=$CLUSTER_DIR"
  } >"$CLUSTER_DIR/env"
}

# cluster_up: everything above, timed; leaves CLUSTER_DIR/env for the tests.
cluster_up() {
  is_root || die "the cluster needs root (network namespaces, dockerd)"
  command -v dockerd >/dev/null || apt_install docker.io
  [ ! -e "/var/run/netns/$(cluster_ns n1)" ] && ! ip link show "$CLUSTER_BRIDGE" >/dev/null 2>&1 \
    || die "a cluster is already up (or left over): bash scripts/cluster.sh down"
  local started=$SECONDS node t0
  t0=$(date +%s%N)
  mkdir -p "$CLUSTER_DIR"
  cluster_network_up
  for node in "${CLUSTER_NODES[@]}"; do cluster_engine_start "$node"; done
  for node in "${CLUSTER_NODES[@]}"; do cluster_engine_ready "$node"; done
  local t_engines=$(( ($(date +%s%N) - t0) / 1000000 ))
  cluster_swarm_init
  local t_swarm=$(( ($(date +%s%N) - t0) / 1000000 ))
  cluster_load_images
  local t_all=$(( ($(date +%s%N) - t0) / 1000000 ))
  cluster_write_env
  log "cluster up in $((SECONDS - started)) s: engines ${t_engines} ms, swarm joined ${t_swarm} ms, images loaded ${t_all} ms (env: $CLUSTER_DIR/env)"
}

# cluster_engine_kill NODE: what a node failure looks like to Swarm: its dockerd, containerd and
# every container on it die at once (SIGKILL).
cluster_engine_kill() {
  local node=$1 dir pid
  dir=$CLUSTER_DIR/$node
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  cluster_kill_shims "$node" KILL
}

cluster_kill_shims() { # cluster_kill_shims NODE SIGNAL: containerd and shims under its exec root
  local dir=$CLUSTER_DIR/$1 pid
  for pid in $(pgrep -f -- "$dir/exec" || true); do kill "-$2" "$pid" 2>/dev/null || true; done
}

cluster_engine_stop() { # cluster_engine_stop NODE: SIGTERM, wait, then whatever is left
  local node=$1 dir pid
  dir=$CLUSTER_DIR/$node
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 30 sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  cluster_kill_shims "$node" KILL
  # Mounts the engine left under its roots (overlay layers, netns files, shm).
  local mount
  for mount in $(grep -o " $dir/[^ ]*" /proc/mounts | sort -r || true); do umount -l "$mount" 2>/dev/null || true; done
}

cluster_down() {
  local node ns chain
  for node in "${CLUSTER_NODES[@]}"; do cluster_engine_stop "$node"; done
  for node in "${CLUSTER_NODES[@]}"; do
    ns=$(cluster_ns "$node")
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$ns-v" 2>/dev/null || true
  done
  ip link del "$CLUSTER_BRIDGE" 2>/dev/null || true
  chain=$(cat "$CLUSTER_DIR/fw-chain" 2>/dev/null || cluster_fw_chain)
  while iptables -D "$chain" -i "$CLUSTER_BRIDGE" -o "$CLUSTER_BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  rm -rf "$CLUSTER_DIR"
  log "cluster down"
}

# ensure_cluster: the cluster of TEST_CLUSTER_NODES when set, else one started here (stop_started
# tears it down).
ensure_cluster() {
  if [ -n "${TEST_CLUSTER_NODES:-}" ]; then return; fi
  STARTED+=("cluster") # first: a start that fails half-way is torn down too
  cluster_up
  # shellcheck disable=SC1091
  source "$CLUSTER_DIR/env"
}
