#!/usr/bin/env bash
# The benchmark: install wrk, nginx (Debian) and the npm peers if missing, then run the
# harness (bench/run.py) and write docs/benchmarks.md. Arguments go to the harness,
# e.g. `make bench ARGS=--quick` or `bash scripts/bench.sh --quick --peers apidouble,nginx`.
# `make bench ARGS=--check` measures the speed targets against nginx and the bare server
# only (no npm peers) and exits non-zero when one is missed.
# Never part of `make test` (tests/test_bench_harness.py runs a few-second smoke instead).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CACHE=${APIDOUBLE_BENCH_CACHE:-$HOME/.cache/apidouble-bench}
export APIDOUBLE_BENCH_CACHE=$CACHE
mkdir -p "$CACHE/npm"
check=0
for arg in "$@" ${ARGS:-}; do
  [ "$arg" = "--check" ] && check=1
done

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]} from Debian"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The peers, pinned to the versions docs/benchmarks.md reports, in a cache folder outside
# the repo. The target check needs none of them.
PEERS=(wiremock@3.13.2 @mockoon/cli@9.9.0 @stoplight/prism-cli json-server@0.17.4 mountebank@2.9.1)
if [ "$check" -eq 1 ]; then
  :
elif command -v npm >/dev/null; then
  if [ ! -f "$CACHE/npm/.installed" ]; then
    echo "bench: installing the npm peers into $CACHE/npm"
    (cd "$CACHE/npm" && { [ -f package.json ] || npm init -y >/dev/null; } \
      && npm install --no-audit --no-fund --loglevel=error "${PEERS[@]}" >/dev/null) \
      && touch "$CACHE/npm/.installed" \
      || echo "bench: npm install failed; those peers will show as n/a"
  fi
  command -v java >/dev/null || echo "bench: java not found; WireMock will show as n/a"
else
  echo "bench: npm not found; the Node peers will show as n/a"
fi

exec .venv/bin/python bench/run.py "$@" ${ARGS:-}
