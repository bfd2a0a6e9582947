#!/usr/bin/env bash
# Starts Slipway: sets up (npm packages, build) and runs the server in the foreground with the
# embedded SQLite store in ./.slipway, listening on 127.0.0.1:7070. Extra arguments go to
# `slipway server` (e.g. --listen 127.0.0.1:8080, --database-url postgres://…).
# The first start creates the first admin and writes its API token to .slipway/admin-token.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[start] starting: bin/slipway server $*  (stop with Ctrl-C or SIGTERM)"
exec node bin/slipway server "$@"
