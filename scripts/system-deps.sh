#!/usr/bin/env bash
# Debian packages Slipway and its tests use, and a running Docker engine. Idempotent: installs
# only what is missing and starts dockerd only when no engine answers. Called by setup.sh.
#   docker.io        the Docker engine (deploy target; tests run built images)
#   docker-registry  the CNCF registry 2.8 (peer for the conformance harness and benchmarks)
#   skopeo podman buildah   real registry clients the tests push and pull with
#   caddy            the edge proxy of the deploy engine
#   git              git sources: the server fetches linked repositories with the git binary
#                    (buildah, above, builds their Dockerfiles)
#   busybox-static   /bin/sh and httpd for the small base images the tests make
#   postgresql-client mariadb-client   pg_dump/psql and mariadb-dump/mariadb: backups and restores
#                    of PostgreSQL and MySQL/MariaDB service attachments run them on the server
#   chromium         only for the tests (SLIPWAY_SETUP_TESTS=1, set by scripts/test.sh): the web
#                    panel's end-to-end tests drive it headless through playwright-core
set -euo pipefail

say() { printf '[setup] %s\n' "$*"; }

packages=(docker.io docker-registry skopeo podman buildah caddy busybox-static git)
# Any installed version of the database clients will do (e.g. postgresql-client-15 without its
# postgresql-client meta package): ask for the packages only when the tools are missing.
command -v pg_dump >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 || packages+=(postgresql-client)
command -v mariadb-dump >/dev/null 2>&1 || command -v mysqldump >/dev/null 2>&1 || packages+=(mariadb-client)
if [ "${SLIPWAY_SETUP_TESTS:-0}" = "1" ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$p"); fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  say "Debian packages are installed (${packages[*]})"
else
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]}; run this as root or install them with apt-get" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/slipway-apt.log 2>&1; then
    say "apt-get install failed; refreshing the package lists and trying again"
    apt-get update -q >>/tmp/slipway-apt.log 2>&1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/slipway-apt.log 2>&1 || { say "could not install ${missing[*]} (log: /tmp/slipway-apt.log)" >&2; exit 1; }
  fi
fi

# Caddy opens a new listening socket at every config change (each deploy's route switch) and
# closes the old one; with tcp_migrate_req=1 the kernel moves connections still queued on the
# old socket to the new one instead of resetting them (measured: 11 resets in 120 switches at 0,
# none at 1). Host-wide, so only set when running as root.
if [ "$(cat /proc/sys/net/ipv4/tcp_migrate_req 2>/dev/null || echo 1)" = "0" ]; then
  if [ "$(id -u)" -eq 0 ] && sysctl -q -w net.ipv4.tcp_migrate_req=1 2>/dev/null; then
    say "set net.ipv4.tcp_migrate_req=1 (no connection reset when the edge proxy switches a route)"
  else
    say "warning: net.ipv4.tcp_migrate_req is 0; a few new connections may be reset when a deploy switches traffic (sysctl -w net.ipv4.tcp_migrate_req=1 as root fixes it)"
  fi
fi

# The Debian client (/usr/bin/docker) first: it matches the Debian engine; else whichever is on PATH.
docker_bin=/usr/bin/docker
[ -x "$docker_bin" ] || docker_bin=$(command -v docker || true)
if [ -z "$docker_bin" ]; then
  say "no docker client found after installing docker.io" >&2
  exit 1
fi

if "$docker_bin" info >/dev/null 2>&1; then
  say "a Docker engine answers"
else
  if [ "$(id -u)" -ne 0 ]; then
    say "no Docker engine answers and this user cannot start dockerd; start it (or add this user to the docker group)" >&2
    exit 1
  fi
  if ! command -v dockerd >/dev/null; then
    say "no Docker engine answers and dockerd is missing (apt-get install docker.io)" >&2
    exit 1
  fi
  say "starting dockerd (log: /var/log/slipway-dockerd.log)"
  # Its own session, so it outlives this script and the process group that ran it.
  setsid nohup dockerd >/var/log/slipway-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 30); do "$docker_bin" -H unix:///var/run/docker.sock info >/dev/null 2>&1 && break; sleep 1; done
  "$docker_bin" -H unix:///var/run/docker.sock info >/dev/null 2>&1 || { say "dockerd did not answer on /var/run/docker.sock within 30 s (log: /var/log/slipway-dockerd.log)" >&2; exit 1; }
  say "dockerd is up (/var/run/docker.sock)"
fi
