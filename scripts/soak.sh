#!/usr/bin/env bash
# The soak and fault runs of docs/reliability.md (bench/soak.py): install wrk and
# redis-server if missing, then run them all, keeping the figures in soak.jsonl and the
# mix run's RSS curve in docs/soak-rss.svg. Arguments go to bench/soak.py, e.g.
# `make soak ARGS="mix --requests 1000000"`. About 15 minutes; never part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/peers/redis.sh >/dev/null
if ! command -v wrk >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [ "$#" -eq 0 ] && [ -z "${ARGS:-}" ]; then
  set -- all --json soak.jsonl --plot docs/soak-rss.svg
fi
# shellcheck disable=SC2086
exec .venv/bin/python bench/soak.py "$@" ${ARGS:-}
