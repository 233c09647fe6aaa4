#!/bin/sh
# dockflow's stand-in for the cloudflared connector (no image registry is reachable here).
# It behaves like `cloudflared --no-autoupdate tunnel [--metrics ADDR] run` as far as the agent
# can tell: it records its arguments and whether TUNNEL_TOKEN is set (never its value) in
# /tmp/cloudflared-standin/, exits 1 when the token is missing, serves /ready on the metrics
# address when one is given, and stays up until SIGTERM/SIGINT. SIGUSR1 makes it "crash" (exit 3).
VERSION="cloudflared version 2025.9.0 (dockflow stand-in)"
case "$*" in
  *--version* | version | "--no-autoupdate version" | "--no-autoupdate --version")
    echo "$VERSION"
    exit 0
    ;;
esac

state=/tmp/cloudflared-standin
mkdir -p "$state" /tmp/www
echo "$*" >"$state/argv"

saw_tunnel=no
saw_run=no
metrics=""
prev=""
for arg in "$@"; do
  case "$arg" in
    tunnel) saw_tunnel=yes ;;
    run) saw_run=yes ;;
    --token | --token=*)
      echo "stand-in: refusing --token on the command line" >&2
      exit 2
      ;;
    --metrics=*) metrics="${arg#--metrics=}" ;;
  esac
  [ "$prev" = "--metrics" ] && metrics="$arg"
  prev="$arg"
done

if [ "$saw_tunnel" != yes ] || [ "$saw_run" != yes ]; then
  echo "stand-in: expected 'tunnel ... run', got: $*" >&2
  exit 2
fi
if [ -z "$TUNNEL_TOKEN" ]; then
  echo "token=missing" >"$state/token"
  echo "ERR Provided Tunnel token is not valid: TUNNEL_TOKEN is not set" >&2
  exit 1
fi
echo "token=present" >"$state/token"

if [ -n "$metrics" ]; then
  port="${metrics##*:}"
  echo '{"status":200,"readyConnections":4,"connectorId":"stand-in"}' >/tmp/www/ready
  echo 'OK' >/tmp/www/healthcheck
  busybox httpd -p "$port" -h /tmp/www
fi

trap 'echo "stand-in: stopping"; exit 0' TERM INT
trap 'echo "stand-in: crashing on SIGUSR1" >&2; exit 3' USR1
echo "$VERSION: tunnel running ($*)"
while :; do
  sleep 3600 &
  wait $!
done
