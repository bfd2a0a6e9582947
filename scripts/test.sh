#!/usr/bin/env bash
# Runs every test: sets up (npm packages, build), makes sure PostgreSQL answers on
# 127.0.0.1:5432 (starting the machine's cluster if it is down), type-checks, then runs vitest
# (unit, store tests on SQLite and PostgreSQL, API and CLI end-to-end tests, the layering check).
# Ends with one line `N passed, N failed` and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results

if ! SLIPWAY_SETUP_TESTS=1 bash scripts/setup.sh; then
  echo "[test] set-up failed"
  echo "0 passed, 1 failed"
  exit 1
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "[test] PostgreSQL does not answer on 127.0.0.1:5432; starting the machine's cluster"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || echo "[test] PostgreSQL is still down: the PostgreSQL tests will fail"
fi

checks_passed=0
checks_failed=0
echo "[test] type-checking src, tests and benches (tsc --noEmit)"
if npx --no-install tsc -p tsconfig.json --noEmit; then checks_passed=$((checks_passed + 1)); else checks_failed=$((checks_failed + 1)); fi
echo "[test] type-checking the web panel (tsc -p panel/tsconfig.json --noEmit)"
if npx --no-install tsc -p panel/tsconfig.json --noEmit; then checks_passed=$((checks_passed + 1)); else checks_failed=$((checks_failed + 1)); fi

echo "[test] running vitest"
rm -f test-results/vitest.json
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
vitest_code=$?

node scripts/summarize-tests.mjs test-results/vitest.json "$checks_passed" "$checks_failed" "$vitest_code"
