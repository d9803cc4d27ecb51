#!/usr/bin/env bash
# curl and node: independent HTTP/2 clients for the TLS and h2c tests (curl --http2,
# --http2-prior-knowledge; Node's built-in http2 module). Installed from Debian when
# missing and this runs as root; without them those tests skip.
#   scripts/peers/clients.sh           install what is missing, print their paths
#   scripts/peers/clients.sh --check   exit 0 if both are there, 1 if not (installs nothing)
set -euo pipefail

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${1:-}" = "--check" ]; then
    echo "clients peer: missing ${missing[*]}" >&2
    exit 1
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "clients peer: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" ca-certificates >/dev/null
  else
    echo "clients peer: ${missing[*]} missing (install them, or run as root)" >&2
    exit 1
  fi
fi
command -v curl
command -v node
