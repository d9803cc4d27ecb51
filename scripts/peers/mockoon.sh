#!/usr/bin/env bash
# mockoon-cli 9.9.0 (npm @mockoon/cli), for the differential tests in tests/compat/mockoon/.
# It lives outside the repo; a second run only checks it. Needs node and npm already there.
#   scripts/peers/mockoon.sh           install it if missing, print the mockoon-cli path
#   scripts/peers/mockoon.sh --check   exit 0 if it is ready, 1 if not (installs nothing)
set -euo pipefail

VERSION=9.9.0
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/apidouble-peers/mockoon"
BIN="$DIR/node_modules/.bin/mockoon-cli"

node_ok() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }

# The installed version is read from the package itself, so a stale install counts as missing.
cli_ok() {
  [ -x "$BIN" ] || return 1
  local got
  got=$(node -p "require('$DIR/node_modules/@mockoon/cli/package.json').version" 2>/dev/null) || return 1
  [ "$got" = "$VERSION" ]
}

if ! node_ok; then
  echo "mockoon peer: node and npm are needed (not installed by this script)" >&2
  exit 1
fi

if [ "${1:-}" = "--check" ]; then
  cli_ok && { echo "$BIN"; exit 0; }
  echo "mockoon peer: @mockoon/cli@$VERSION missing under $DIR" >&2
  exit 1
fi

if ! cli_ok; then
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"private": true}' > "$DIR/package.json"
  echo "mockoon peer: installing @mockoon/cli@$VERSION into $DIR" >&2
  npm install --prefix "$DIR" --save-exact --no-audit --no-fund --loglevel=error \
    "@mockoon/cli@$VERSION" >&2
  cli_ok || { echo "mockoon peer: install did not produce $BIN $VERSION" >&2; exit 1; }
fi
echo "$BIN"
