#!/usr/bin/env bash
# redis-server, for the tests of the shared state store (tests/state, tests/integration).
# Installed from Debian when missing and this runs as root; the tests start their own
# server on a free port, so nothing is left running here.
#   scripts/peers/redis.sh           install if missing, print the server's path
#   scripts/peers/redis.sh --check   exit 0 if it is there, 1 if not (installs nothing)
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  command -v redis-server
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "redis peer: redis-server missing" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "redis peer: installing redis-server" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # policy-rc.d keeps the package from starting a system-wide server we do not use
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  command -v redis-server
else
  echo "redis peer: install redis-server (apt-get install redis-server) for the state tests" >&2
  exit 1
fi
