#!/usr/bin/env bash
# Everything a fresh machine needs, then every check and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# the real WireMock (Java 17 + jar, cached outside the repo) for the live compat checks
bash scripts/peers/wiremock.sh >/dev/null \
  || echo "test: no WireMock peer (Java 17 + jar); live compat checks will skip" >&2
# a real redis-server for the shared-state tests
bash scripts/peers/redis.sh >/dev/null \
  || echo "test: no redis-server; the shared-state tests will skip" >&2
# curl and node, independent HTTP/2 clients for the TLS and h2c tests
bash scripts/peers/clients.sh >/dev/null \
  || echo "test: no curl or node; their HTTP/2 client tests will skip" >&2
# Debian's chromium, for the browser tests (Playwright drives it; no browser downloads)
bash scripts/peers/chromium.sh >/dev/null \
  || echo "test: no chromium; the browser tests will skip" >&2
# GitHub's public GraphQL schema, for the lenient-loading tests
bash scripts/peers/github-schema.sh >/dev/null \
  || echo "test: no GitHub schema; its GraphQL tests will skip" >&2
# graphql-faker (where node and npm are), for the live GraphQL comparison; bounded, since
# an npm install can stall on the registry
timeout 300 bash scripts/peers/graphql-faker.sh >/dev/null 2>&1 \
  || echo "test: no graphql-faker peer (node + npm); its live GraphQL checks will skip" >&2
bash scripts/check.sh
.venv/bin/python -m pytest "$@"
