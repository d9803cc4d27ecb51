#!/usr/bin/env bash
# RFC 6455 conformance: the Autobahn|Testsuite fuzzing client against an echo rule.
#
# Installs autobahntestsuite (Python 2.7 under pyenv, through the package registry) into
# a cache folder outside the repo when missing, serves an echo rule with
# `apidouble run` on a free 127.0.0.1 port, runs the fuzzing client, stops the server,
# prints the counts per behavior and the FAILED case ids, and exits 1 when a case
# FAILED. Never part of `make test`: the quick groups take a few seconds, the rest
# (9: messages up to 16 MB, 12/13: permessage-deflate) takes minutes of CPU.
#
#   scripts/conformance.sh                 the quick groups (1-7, 10) of the corpus config
#   scripts/conformance.sh --all           every case (1-13); run it alone on the machine
#   make conformance ARGS=all             the same through make
#   scripts/conformance.sh --cases '9.*'   these case patterns (comma-separated)
#
# Environment: APIDOUBLE_CONFORMANCE_CACHE (default ~/.cache/apidouble-conformance),
# APIDOUBLE_AUTOBAHN_CORPUS (the folder with fuzzingclient.json), PYTHON2 (a Python
# 2.7; default pyenv's 2.7.18), CONFORMANCE_TIMEOUT_S (the client's time limit).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

CACHE=${APIDOUBLE_CONFORMANCE_CACHE:-$HOME/.cache/apidouble-conformance}
CORPUS=${APIDOUBLE_AUTOBAHN_CORPUS:-$REPO/../shared/corpus/autobahn}
SUITE_VERSION=25.10.1
PREFIX=$CACHE/py2-autobahntestsuite-$SUITE_VERSION
SITE=$PREFIX/lib/python2.7/site-packages
PY3=$REPO/.venv/bin/python

cases=""
timeout_s=${CONFORMANCE_TIMEOUT_S:-600}
while [ $# -gt 0 ]; do
  case "$1" in
    --all|all) cases="*"; timeout_s=${CONFORMANCE_TIMEOUT_S:-3600} ;;
    --cases) shift; cases=${1:?--cases needs a comma-separated list, e.g. '9.*,12.*'} ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "conformance: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# --- the suite, once ---------------------------------------------------------------------
if [ -z "${PYTHON2:-}" ]; then
  if command -v pyenv >/dev/null; then
    PYTHON2=$(PYENV_VERSION=2.7.18 pyenv which python 2>/dev/null || true)
  fi
  PYTHON2=${PYTHON2:-$HOME/.pyenv/versions/2.7.18/bin/python}
fi
if ! [ -x "$PYTHON2" ]; then
  echo "conformance: no Python 2.7 ($PYTHON2); install it with pyenv install 2.7.18" >&2
  exit 2
fi
if [ ! -f "$PREFIX/.installed" ]; then
  echo "conformance: installing autobahntestsuite==$SUITE_VERSION into $PREFIX"
  rm -rf "$PREFIX"
  mkdir -p "$CACHE"
  # the base 2.7 lacks setuptools: it goes into the prefix first, then the suite
  if ! {
    timeout 300 "$PYTHON2" -m pip install -q --no-warn-script-location --prefix "$PREFIX" \
      "setuptools==44.1.1" "wheel<0.38" &&
      PYTHONPATH=$SITE timeout 600 "$PYTHON2" -m pip install -q --no-warn-script-location \
        --prefix "$PREFIX" "autobahntestsuite==$SUITE_VERSION"
  } >"$CACHE/install.log" 2>&1; then
    echo "conformance: the install failed; the end of $CACHE/install.log:" >&2
    tail -n 20 "$CACHE/install.log" >&2
    exit 2
  fi
  touch "$PREFIX/.installed"
fi

# --- one run folder: config, client spec, reports ----------------------------------------
mkdir -p "$CACHE/runs"
# keep the last four runs' reports beside this one (a full run's are about 20 MB)
mapfile -t old < <(find "$CACHE/runs" -mindepth 1 -maxdepth 1 -type d | sort | head -n -4)
[ ${#old[@]} -eq 0 ] || rm -rf -- "${old[@]}"
RUN=$CACHE/runs/$(date -u +%Y%m%dT%H%M%SZ)-$$
mkdir -p "$RUN"
cat >"$RUN/apidouble.yaml" <<'YAML'
websockets:
  - path: /ws-echo
    max_message_bytes: 16777216
    on_message: [{echo: true}]
YAML
PORT=$("$PY3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# a copy of the corpus config, pointed at our port and with its reports in the run folder
"$PY3" - "$CORPUS/fuzzingclient.json" "$RUN" "$PORT" "$cases" <<'PY'
import json
import pathlib
import sys

source, run, port, cases = sys.argv[1:]
try:
    spec = json.loads(pathlib.Path(source).read_text())
except FileNotFoundError:  # the corpus' quick groups
    spec = {"cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*"]}
spec["outdir"] = f"{run}/reports"
spec["servers"] = [{"agent": "apidouble", "url": f"ws://127.0.0.1:{port}/ws-echo"}]
if cases:
    spec["cases"] = cases.split(",")
spec.setdefault("exclude-cases", [])
spec.setdefault("exclude-agent-cases", {})
pathlib.Path(run, "fuzzingclient.json").write_text(json.dumps(spec, indent=2))
print("conformance: cases", " ".join(spec["cases"]))
PY

# --- the server under test, in its own process group -------------------------------------
server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  for _ in $(seq 50); do  # up to 5 s for a clean shutdown, then no mercy
    kill -0 -- "-$server_pid" 2>/dev/null || { server_pid=""; return 0; }
    sleep 0.1
  done
  kill -KILL -- "-$server_pid" 2>/dev/null || true
  server_pid=""
}
trap stop_server EXIT
setsid .venv/bin/apidouble run "$RUN/apidouble.yaml" --host 127.0.0.1 --port "$PORT" \
  --no-watch --no-request-journal --log-level warning >"$RUN/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 100); do  # up to 10 s to listen
  if "$PY3" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$PORT" 2>/dev/null; then
    ready=1
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" -ne 1 ]; then
  echo "conformance: the server did not start on port $PORT; its log:" >&2
  cat "$RUN/server.log" >&2
  exit 2
fi
echo "conformance: apidouble on 127.0.0.1:$PORT, reports in $RUN/reports"

# --- the fuzzing client -------------------------------------------------------------------
started=$(date +%s)
client_rc=0
(cd "$RUN" && timeout --kill-after=10 "$timeout_s" "$PYTHON2" -c "
import site, sys
site.addsitedir('$SITE')  # zope.* are namespace packages: a site dir, not PYTHONPATH
sys.argv = ['wstest', '-m', 'fuzzingclient', '-s', 'fuzzingclient.json']
from autobahntestsuite.wstest import run
run()
" >"$RUN/client.log" 2>&1) || client_rc=$?
stop_server
echo "conformance: the client took $(($(date +%s) - started)) s (exit $client_rc)"
if [ "$client_rc" -ne 0 ]; then
  echo "conformance: the fuzzing client failed or timed out (${timeout_s} s); its log's end:" >&2
  tail -n 20 "$RUN/client.log" >&2
fi

# --- summary --------------------------------------------------------------------------------
summary_rc=0
"$PY3" - "$RUN/reports/index.json" <<'PY' || summary_rc=$?
import json
import sys
from collections import Counter

try:
    with open(sys.argv[1]) as fh:
        index = json.load(fh)
except FileNotFoundError:
    print(f"conformance: no report ({sys.argv[1]})", file=sys.stderr)
    sys.exit(2)


def key(case_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in case_id.split("."))


failed = False
for agent, cases in index.items():
    counts = Counter(case["behavior"] for case in cases.values())
    print(f"{agent}: {len(cases)} cases")
    for behavior in ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"):
        print(f"  {behavior:<14} {counts.pop(behavior, 0)}")
    for behavior, count in counts.items():
        print(f"  {behavior:<14} {count}")
    for behavior in ("FAILED", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED"):
        ids = sorted((c for c, r in cases.items() if r["behavior"] == behavior), key=key)
        if ids:
            print(f"  {behavior}: {' '.join(ids)}")
    failed = failed or any(case["behavior"] == "FAILED" for case in cases.values())
sys.exit(1 if failed else 0)
PY
[ "$summary_rc" -eq 0 ] && [ "$client_rc" -ne 0 ] && summary_rc=2
exit "$summary_rc"
