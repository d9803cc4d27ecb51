#!/usr/bin/env bash
# Everything a fresh machine needs, then every check and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/check.sh
.venv/bin/python -m pytest "$@"
