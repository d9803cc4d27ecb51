#!/usr/bin/env bash
# Long fuzz run: every target in tests/fuzz with many examples, fresh inputs each run
# (make test runs the same targets with a fixed seed and a small budget).
#   make fuzz                      20,000 examples per target
#   make fuzz ARGS="-k http1"      one target
#   make fuzz ARGS="-k http2"      the HTTP/2 frame targets (h2c and TLS)
#   make fuzz ARGS=--atheris       coverage-guided (atheris/libFuzzer): each target that
#                                  needs no server, APIDOUBLE_FUZZ_SECONDS (600) each
#   make fuzz ARGS="--atheris test_body_regex"   one of them
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# a memory cap, so a runaway input fails its run instead of the machine (one importer run
# once reached 24 GB); APIDOUBLE_FUZZ_MEMORY_KB=unlimited lifts it
ulimit -v "${APIDOUBLE_FUZZ_MEMORY_KB:-8000000}"
if [ "${1:-}" = "--atheris" ]; then
  shift
  if ! .venv/bin/python -c "import atheris" 2>/dev/null; then
    # no wheel for every platform; where it will not build, the Hypothesis runs remain
    .venv/bin/python -m pip install --quiet atheris \
      || { echo "fuzz: atheris does not install here; run make fuzz without --atheris" >&2; exit 2; }
  fi
  out=${APIDOUBLE_FUZZ_ARTIFACTS:-fuzz-artifacts}
  mkdir -p "$out"
  targets=("$@")
  [ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(.venv/bin/python -m tests.fuzz.coverage_guided --list)
  for target in "${targets[@]}"; do
    echo "fuzz: $target (coverage-guided, ${APIDOUBLE_FUZZ_SECONDS:-600} s)" >&2
    .venv/bin/python -m tests.fuzz.coverage_guided "$target" \
      -max_total_time="${APIDOUBLE_FUZZ_SECONDS:-600}" -artifact_prefix="$out/$target-" \
      -print_final_stats=1 2>&1 | grep -v '^INFO: Instrumenting'
  done
  exit 0
fi
APIDOUBLE_FUZZ_EXAMPLES="${APIDOUBLE_FUZZ_EXAMPLES:-20000}" \
  .venv/bin/python -m pytest -q -p no:cacheprovider --timeout 0 tests/fuzz "$@"
