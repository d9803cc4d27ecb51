#!/usr/bin/env bash
# graphql-faker 2.0.0-rc.25 from the npm registry, for the differential tests in
# tests/compat/graphql_faker/. It lives outside the repo; a second run only checks it.
# Node and npm are not installed here: without them this exits 1 and the live tests skip.
#   scripts/peers/graphql-faker.sh           install if missing, print the entry script's path
#   scripts/peers/graphql-faker.sh --check   exit 0 if it is ready, 1 if not (installs nothing)
set -euo pipefail

# 2.0.0 itself was published without its dist/ folder (5 files, nothing to run):
# rc.25 is the last release that ships the server
VERSION=2.0.0-rc.25
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/apidouble-peers/graphql-faker"
ENTRY="$DIR/node_modules/graphql-faker/dist/index.js"
STAMP="$DIR/.installed-$VERSION"

node_ok() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }
peer_ok() { [ -f "$ENTRY" ] && [ -f "$STAMP" ]; }

if [ "${1:-}" = "--check" ]; then
  node_ok && peer_ok && { echo "$ENTRY"; exit 0; }
  node_ok || echo "graphql-faker peer: node and npm missing" >&2
  peer_ok || echo "graphql-faker peer: $ENTRY missing" >&2
  exit 1
fi

if ! node_ok; then
  echo "graphql-faker peer: node and npm are needed (apt-get install nodejs npm)" >&2
  exit 1
fi

if ! peer_ok; then
  mkdir -p "$DIR"
  echo "graphql-faker peer: installing graphql-faker@$VERSION into $DIR" >&2
  # --legacy-peer-deps: graphql-voyager's React peer ranges make npm's resolver stall;
  # --ignore-scripts: nothing of it needs a build step to serve
  timeout 600 npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts \
    --legacy-peer-deps --loglevel=error "graphql-faker@$VERSION" >&2
  [ -f "$ENTRY" ] || { echo "graphql-faker peer: $ENTRY not found after install" >&2; exit 1; }
  touch "$STAMP"
fi
echo "$ENTRY"
