"""Re-record WireMock's answers: ``python -m tests.compat.wiremock.record [case...]``.

Needs Java 17 and the jar (``scripts/peers/wiremock.sh``). Writes ``answers/<case>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from . import peers
from .cases import Case, all_cases
from .harness import WORKERS, record_wiremock


def record(case: Case, scratch: Path) -> str:
    recording = record_wiremock(case, scratch)
    case.answers_path.parent.mkdir(parents=True, exist_ok=True)
    case.answers_path.write_text(json.dumps(recording.to_json(), indent=1) + "\n")
    startup = f", startup {recording.startup}" if recording.startup else ""
    return f"{case.name}: {len(recording.answers)} answers{startup}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat.wiremock.record")
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args(argv)
    if why := peers.available():
        parser.error(why)
    cases = all_cases(args.cases)
    with ExitStack() as stack:
        if any(c.upstream for c in cases):
            stack.enter_context(peers.upstream())
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wmrecord-")))
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for line in pool.map(lambda c: record(c, scratch), cases):
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
