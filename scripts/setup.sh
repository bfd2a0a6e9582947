#!/usr/bin/env bash
# Slipway set-up, shared by scripts/start.sh and scripts/test.sh. Idempotent: each step checks
# before it acts and says what it does.
#   1. Node.js 20.12+ must be there (it is the runtime; this script does not install it).
#   2. npm packages: `npm ci` when node_modules is missing or package-lock.json changed since the
#      last install (better-sqlite3 compiles from source: about two minutes the first time).
#   3. Build: TypeScript to dist/ (incremental).
#   0. Debian packages and a running Docker engine (scripts/system-deps.sh).
#   4. Tests only (SLIPWAY_SETUP_TESTS=1): MariaDB, Redis and RabbitMQ answer, RabbitMQ's
#      management API is on (scripts/test-services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
node_minor=$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 12 ]; }; then
  say "Node.js 20.12 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

bash scripts/system-deps.sh

stamp=node_modules/.slipway-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/better-sqlite3/build/Release ]; then
  say "npm packages are up to date"
elif [ -L node_modules ]; then
  # A shared install (a git worktree's link to another checkout's node_modules): npm ci here would
  # empty the shared folder under everyone using it. Install in the checkout that owns it.
  say "node_modules links to $(readlink node_modules), installed for another package-lock.json; not running npm ci through the link (run it where it points if packages are missing)"
else
  say "installing npm packages (npm ci; compiles better-sqlite3, about two minutes the first time)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

say "building (tsc → dist/)"
npm run --silent build
if [ "${SLIPWAY_SETUP_TESTS:-0}" = "1" ]; then bash scripts/test-services.sh; fi
say "ready: bin/slipway"
