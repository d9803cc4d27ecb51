#!/usr/bin/env bash
# Java 17 and the WireMock 3.13.2 standalone jar, for the differential tests in
# tests/compat/wiremock/. Both live outside the repo; a second run only checks them.
#   scripts/peers/wiremock.sh           install what is missing, print the jar's path
#   scripts/peers/wiremock.sh --check   exit 0 if both are ready, 1 if not (installs nothing)
set -euo pipefail

VERSION=3.13.2
TGZ_URL="https://registry.npmjs.org/wiremock/-/wiremock-$VERSION.tgz"
TGZ_SHA256=7a1a83d4daea324511f9e5e51e94a55210c4045e46eb217c9a190f0ce40e94d5
JAR_SHA256=d097b19bd483c5038479b13a5c71e9faf8f2f5106584f0c120a7770ab0bdb367
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/apidouble-peers/wiremock"
JAR="$DIR/wiremock-standalone-$VERSION.jar"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; fi
}

java_ok() {
  command -v java >/dev/null 2>&1 || return 1
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$major" ] && [ "$major" -ge 17 ]
}

# The sha is checked once, when the jar is written; later runs trust the stamp beside it.
jar_ok() { [ -f "$JAR" ] && [ -f "$JAR.sha256" ] && [ "$(cat "$JAR.sha256")" = "$JAR_SHA256" ]; }

if [ "${1:-}" = "--check" ]; then
  java_ok && jar_ok && { echo "$JAR"; exit 0; }
  java_ok || echo "wiremock peer: java 17+ missing" >&2
  jar_ok || echo "wiremock peer: $JAR missing" >&2
  exit 1
fi

if ! java_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "wiremock peer: installing openjdk-17-jre-headless" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "wiremock peer: java 17+ is needed; install openjdk-17-jre-headless (or any JRE 17+)" >&2
    exit 1
  fi
fi

if ! jar_ok; then
  mkdir -p "$DIR"
  tmp=$(mktemp -d "$DIR/.download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "wiremock peer: fetching $TGZ_URL" >&2
  if command -v curl >/dev/null; then
    curl -fsSL --retry 3 -o "$tmp/wiremock.tgz" "$TGZ_URL"
  else
    python3 -c 'import sys,urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
      "$TGZ_URL" "$tmp/wiremock.tgz"
  fi
  got=$(sha256 "$tmp/wiremock.tgz")
  if [ "$got" != "$TGZ_SHA256" ]; then
    echo "wiremock peer: sha256 of the tarball is $got, expected $TGZ_SHA256" >&2
    exit 1
  fi
  tar -xzf "$tmp/wiremock.tgz" -C "$tmp" "package/build/wiremock-standalone-$VERSION.jar"
  got=$(sha256 "$tmp/package/build/wiremock-standalone-$VERSION.jar")
  if [ "$got" != "$JAR_SHA256" ]; then
    echo "wiremock peer: sha256 of the jar is $got, expected $JAR_SHA256" >&2
    exit 1
  fi
  mv "$tmp/package/build/wiremock-standalone-$VERSION.jar" "$JAR"
  echo "$JAR_SHA256" > "$JAR.sha256"
fi
echo "$JAR"
