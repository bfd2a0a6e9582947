#!/usr/bin/env bash
# Starts Slipway: sets up (Debian packages, Docker engine, npm packages, build) and runs the
# server in the foreground with the embedded SQLite store in ./.slipway, the API and registry on
# 127.0.0.1:7070, and the deploy engine's edge proxy (Caddy, started by the server) on
# 127.0.0.1:8080 (SLIPWAY_PROXY_LISTEN to change it). The proxy keeps serving deployed
# environments when the server stops, and the next start adopts it; `bin/slipway proxy stop`
# (or `--stop-proxy`) stops it. Extra arguments go to `slipway server`
# (e.g. --listen 127.0.0.1:7171, --database-url postgres://…).
# The first start creates the first admin and writes its API token to .slipway/admin-token.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SLIPWAY_PROXY_LISTEN="${SLIPWAY_PROXY_LISTEN:-127.0.0.1:8080}"
echo "[start] starting: bin/slipway server $*  (edge proxy on $SLIPWAY_PROXY_LISTEN; stop with Ctrl-C or SIGTERM; the proxy keeps serving until bin/slipway proxy stop)"
exec node bin/slipway server "$@"
