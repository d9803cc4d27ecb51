"""Run one input in a child process under a time and memory cap, for the inputs that
hang or exhaust memory today: in-process they would stall the whole suite, and a
thread cannot stop ``re`` or a C loop. The child reports how long the work took."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from typing import Any

__all__ = ["CHILD_MEMORY_BYTES", "START_MARGIN_S", "Outcome", "run_bounded"]

CHILD_MEMORY_BYTES = 2 * 1024**3
"""The child's address-space cap: a runaway allocation fails fast instead of swapping."""

START_MARGIN_S = 5.0
"""What a child may take, besides the work it is timed on, before it is stopped: starting
Python and importing apidouble take a second, several on a loaded shared machine. The
work's own time is what the tests assert on (``seconds``)."""

Outcome = dict[str, Any]
"""What the child printed as JSON (``seconds`` and the work's own fields), or
``{"killed": True}`` when it outlived its time."""

_PRELUDE = """
import json, sys, time
started = time.monotonic()
def report(**fields):
    fields["seconds"] = time.monotonic() - started
    print(json.dumps(fields))
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


def run_bounded(code: str, *args: str, timeout_s: float) -> Outcome:
    """Run ``code`` (which calls ``report(...)`` once, after ``started`` is reset by it
    when imports are done) with ``args`` in ``sys.argv[1:]``; kill it after ``timeout_s``."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PRELUDE + code, *args],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            preexec_fn=_cap_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"killed": True}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"crashed": done.returncode, "stderr": done.stderr[-2000:]}
    result: Outcome = json.loads(lines[-1])
    return result
