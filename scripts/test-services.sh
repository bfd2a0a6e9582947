#!/usr/bin/env bash
# The database, cache and broker servers the service drivers' tests (src/drivers/*.test.ts) talk
# to, on this machine: MariaDB 127.0.0.1:3306, Redis 127.0.0.1:6379, RabbitMQ 127.0.0.1:5672 with
# its management API on 127.0.0.1:15672 (PostgreSQL is scripts/test.sh's). Called by setup.sh
# only when SLIPWAY_SETUP_TESTS=1. Idempotent: starts a server only when it does not answer,
# enables the management plugin only when it is off; every wait is bounded. A server that stays
# down is reported and skipped (its tests then fail with SLW_SERVICE_UNREACHABLE), not fatal.
set -uo pipefail

say() { printf '[setup] %s\n' "$*"; }

# wait_for SECONDS COMMAND...: runs COMMAND once a second until it succeeds or SECONDS pass.
wait_for() {
  local seconds=$1
  shift
  for _ in $(seq 1 "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  "$@" >/dev/null 2>&1
}

mariadb_up() { mariadb -h 127.0.0.1 -P 3306 -u root --connect-timeout=2 -e 'SELECT 1'; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
rabbit_up() { rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }
management_up() { curl -fsS -m 3 -u guest:guest http://127.0.0.1:15672/api/overview; }

if command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; then
  if mariadb_up >/dev/null 2>&1; then
    say "MariaDB answers on 127.0.0.1:3306"
  else
    say "MariaDB does not answer on 127.0.0.1:3306; starting it"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    wait_for 30 mariadb_up && say "MariaDB is up" || say "warning: MariaDB is still down: the MySQL driver tests will fail" >&2
  fi
else
  say "warning: MariaDB is not installed: the MySQL driver tests will fail" >&2
fi

if command -v redis-server >/dev/null; then
  if redis_up; then
    say "Redis answers on 127.0.0.1:6379"
  else
    say "Redis does not answer on 127.0.0.1:6379; starting it (nothing kept on disk)"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null || true
    wait_for 15 redis_up && say "Redis is up" || say "warning: Redis is still down: the Redis driver tests will fail" >&2
  fi
else
  say "warning: Redis is not installed: the Redis driver tests will fail" >&2
fi

if command -v rabbitmq-server >/dev/null; then
  if rabbit_up; then
    say "RabbitMQ answers on 127.0.0.1:5672"
  else
    say "RabbitMQ does not answer on 127.0.0.1:5672; starting it (rabbitmq-server -detached)"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_for 60 rabbit_up && say "RabbitMQ is up" || say "warning: RabbitMQ is still down: the RabbitMQ driver tests will fail" >&2
  fi
  if rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    say "RabbitMQ's management plugin is enabled"
  else
    say "enabling RabbitMQ's management plugin (rabbitmq-plugins enable rabbitmq_management)"
    rabbitmq-plugins enable rabbitmq_management >/tmp/slipway-rabbitmq-plugins.log 2>&1 || say "warning: could not enable the management plugin (log: /tmp/slipway-rabbitmq-plugins.log)" >&2
  fi
  if wait_for 60 management_up; then
    say "RabbitMQ's management API answers on 127.0.0.1:15672"
  else
    say "warning: RabbitMQ's management API does not answer on 127.0.0.1:15672 within 60 s: the RabbitMQ driver tests will fail" >&2
  fi
else
  say "warning: RabbitMQ is not installed: the RabbitMQ driver tests will fail" >&2
fi
exit 0
