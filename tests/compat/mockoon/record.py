"""Re-record mockoon-cli's answers: ``.venv/bin/python -m tests.compat.mockoon.record [env...]``.

Needs node and mockoon-cli 9.9.0 (``bash scripts/peers/mockoon.sh``). Starts it on each
corpus environment (or those whose file stem is named), sends the cases in order and
writes ``fixtures/<stem>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.compat.mockoon import peer
from tests.compat.mockoon.answers import TIMEOUT_S, declared_headers, send
from tests.compat.mockoon.cases import all_cases, environments

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(environment: Path) -> Path:
    return FIXTURES / f"{environment.stem}.json"


def record(environment: Path) -> dict[str, Any]:
    """mockoon-cli's answers to every case of one environment."""
    env = json.loads(environment.read_text(encoding="utf-8"))
    headers = declared_headers(env)
    recorded = []
    with peer.mockoon(environment) as url, httpx.Client(base_url=url, timeout=TIMEOUT_S) as client:
        for case in all_cases(env):
            recorded.append({**case.to_json(), "answer": send(client, case, headers)})
    return {"mockoon": peer.VERSION, "headers": headers, "cases": recorded}


def printed(fixture: dict[str, Any]) -> str:
    """The fixture as JSON with one case a line: small, and a re-recording diffs by case."""
    head = {k: v for k, v in fixture.items() if k != "cases"}
    lines = [json.dumps(c, sort_keys=True, separators=(",", ":")) for c in fixture["cases"]]
    opening = json.dumps(head, sort_keys=True)[:-1]
    return opening + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat.mockoon.record")
    parser.add_argument("environments", nargs="*", help="file stems (default: all)")
    args = parser.parse_args(argv)
    if why := peer.available():
        parser.error(why)
    chosen = [e for e in environments() if not args.environments or e.stem in args.environments]
    if not chosen:
        parser.error("no corpus environment matches (is ../shared/corpus/mockoon there?)")
    FIXTURES.mkdir(exist_ok=True)
    for environment in chosen:
        fixture = record(environment)
        fixture_path(environment).write_text(printed(fixture), encoding="utf-8")
        print(f"{environment.stem}: {len(fixture['cases'])} answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
