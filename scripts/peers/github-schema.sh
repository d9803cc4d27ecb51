#!/usr/bin/env bash
# GitHub's public GraphQL schema (npm @octokit/graphql-schema), for the GraphQL tests in
# tests/graphql/ that load a real, large, not-quite-valid schema. Kept outside the repo.
#   scripts/peers/github-schema.sh           fetch it if missing, print its path
#   scripts/peers/github-schema.sh --check   exit 0 if it is there, 1 if not (fetches nothing)
set -euo pipefail

VERSION=15.26.1
TGZ_URL="https://registry.npmjs.org/@octokit/graphql-schema/-/graphql-schema-$VERSION.tgz"
TGZ_SHA256=053e74249dafce2118fd9b7ae499b067d57c5f910c57745699ac45108bc68d1e
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/apidouble-peers/github-schema"
SCHEMA="$DIR/schema-$VERSION.graphql"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; fi
}

if [ -f "$SCHEMA" ]; then
  echo "$SCHEMA"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "github schema peer: $SCHEMA missing" >&2
  exit 1
fi
mkdir -p "$DIR"
tmp=$(mktemp -d "$DIR/.download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "github schema peer: fetching $TGZ_URL" >&2
python3 -c 'import sys,urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
  "$TGZ_URL" "$tmp/schema.tgz"
got=$(sha256 "$tmp/schema.tgz")
if [ "$got" != "$TGZ_SHA256" ]; then
  echo "github schema peer: sha256 of the tarball is $got, expected $TGZ_SHA256" >&2
  exit 1
fi
tar -xzf "$tmp/schema.tgz" -C "$tmp" package/schema.graphql
mv "$tmp/package/schema.graphql" "$SCHEMA"
echo "$SCHEMA"
