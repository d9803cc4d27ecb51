#!/usr/bin/env bash
# Long fuzz run: every target in tests/fuzz with many examples, fresh inputs each run
# (make test runs the same targets with a fixed seed and a small budget).
#   make fuzz                      20,000 examples per target
#   make fuzz ARGS="-k http1"      one target
#   make fuzz ARGS="-k http2"      the HTTP/2 frame targets (h2c and TLS)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# a memory cap, so a runaway input fails its run instead of the machine (one importer run
# once reached 24 GB); APIDOUBLE_FUZZ_MEMORY_KB=unlimited lifts it
ulimit -v "${APIDOUBLE_FUZZ_MEMORY_KB:-8000000}"
APIDOUBLE_FUZZ_EXAMPLES="${APIDOUBLE_FUZZ_EXAMPLES:-20000}" \
  .venv/bin/python -m pytest -q -p no:cacheprovider --timeout 0 tests/fuzz "$@"
