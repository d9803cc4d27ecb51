#!/usr/bin/env bash
# Debian's chromium, for the browser tests (tests/integration/test_oidc_browser.py): Playwright
# drives this binary, so no browser is ever downloaded. Installed from Debian when missing and
# this runs as root; the tests launch their own headless instance, nothing is left running.
#   scripts/peers/chromium.sh           install if missing, print the browser's path
#   scripts/peers/chromium.sh --check   exit 0 if it is there, 1 if not (installs nothing)
set -euo pipefail

# A browser that is there but cannot start (a snap shim in a container) counts as missing.
found() {
  local path
  path=$(command -v chromium 2>/dev/null || true)
  [ -n "$path" ] || { [ -x /usr/bin/chromium ] && path=/usr/bin/chromium; } || return 1
  timeout 30 "$path" --version >/dev/null 2>&1 || return 1
  echo "$path"
}

if found; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "chromium peer: chromium missing" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "chromium peer: installing chromium" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  found || { echo "chromium peer: chromium was installed but does not start" >&2; exit 1; }
else
  echo "chromium peer: install chromium (apt-get install chromium) for the browser tests" >&2
  exit 1
fi
