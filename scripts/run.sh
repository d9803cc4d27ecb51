#!/usr/bin/env bash
# Set up if needed, then serve examples/ on http://127.0.0.1:8000 (Ctrl-C stops).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/apidouble run examples/ --port "${PORT:-8000}" "$@"
