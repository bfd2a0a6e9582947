#!/usr/bin/env bash
# Debian packages Slipway and its tests use, and a running Docker engine. Idempotent: installs
# only what is missing and starts dockerd only when no engine answers. Called by setup.sh.
#   docker.io        the Docker engine (deploy target; tests run built images)
#   docker-registry  the CNCF registry 2.8 (peer for the conformance harness and benchmarks)
#   skopeo podman buildah   real registry clients the tests push and pull with
#   caddy            the edge proxy of the deploy engine
#   busybox-static   /bin/sh and httpd for the small base images the tests make
set -euo pipefail

say() { printf '[setup] %s\n' "$*"; }

packages=(docker.io docker-registry skopeo podman buildah caddy busybox-static)
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

if docker info >/dev/null 2>&1; then
  say "a Docker engine answers"
else
  if [ "$(id -u)" -ne 0 ]; then
    say "no Docker engine answers and this user cannot start dockerd; start it (or add this user to the docker group)" >&2
    exit 1
  fi
  say "starting dockerd (log: /var/log/slipway-dockerd.log)"
  nohup dockerd >/var/log/slipway-dockerd.log 2>&1 &
  for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { say "dockerd did not come up within 30 s (log: /var/log/slipway-dockerd.log)" >&2; exit 1; }
  say "dockerd is up"
fi
