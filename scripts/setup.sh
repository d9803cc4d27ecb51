#!/usr/bin/env bash
# Create .venv and install apidouble with its dev tools; a no-op when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
# Byte-code for our own sources, as a wheel install has it: an editable install leaves
# none, and where PYTHONDONTWRITEBYTECODE is set every start compiles each module anew
# (about a second of `apidouble run`). Up-to-date files are skipped.
.venv/bin/python -m compileall -q src/apidouble >/dev/null
