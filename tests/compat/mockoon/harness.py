"""Replay the recorded cases against apidouble and measure the agreement with mockoon-cli.

``.venv/bin/python -m tests.compat.mockoon.harness [env...]`` prints, per environment,
the routes that agree and every case that does not. A route agrees when every case meant
for it does; the cases no route should take are counted on their own.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from apidouble.testing import MockServer
from tests.compat.mockoon.answers import TIMEOUT_S, send
from tests.compat.mockoon.cases import all_cases, environments
from tests.compat.mockoon.compare import differences
from tests.compat.mockoon.record import fixture_path

SEED = 1
"""Every replay serves with this seed: a templated answer is the same run after run, so a
random count or value cannot make a case agree on some runs only."""


@dataclass
class Outcome:
    """One environment's replay: the disagreeing cases (``env:case`` -> what differs)."""

    environment: str
    routes: int = 0
    routes_agreeing: int = 0
    cases: int = 0
    disagreements: dict[str, list[str]] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    """Cases the fixture does not hold as generated now: re-record."""


def replay(environment: Path) -> Outcome:
    """Serve ``environment`` with apidouble, send its cases, compare with the fixture."""
    env = json.loads(environment.read_text(encoding="utf-8"))
    fixture = json.loads(fixture_path(environment).read_text(encoding="utf-8"))
    recorded = {c["id"]: c for c in fixture["cases"]}
    outcome = Outcome(environment.stem)
    cases = all_cases(env)
    outcome.stale = [c.id for c in cases if _request(recorded.get(c.id)) != c.to_json()]
    outcome.stale += sorted(set(recorded) - {c.id for c in cases})
    if outcome.stale:
        return outcome
    failing_routes: set[str] = set()
    with (
        MockServer(environment, seed=SEED) as mock,
        httpx.Client(base_url=mock.url, timeout=TIMEOUT_S) as client,
    ):
        for case in cases:
            got = send(client, case, fixture["headers"])
            found = differences(case.to_json(), recorded[case.id]["answer"], got, env)
            if found:
                outcome.disagreements[f"{environment.stem}:{case.id}"] = found
                failing_routes.add(case.route)
    outcome.cases = len(cases)
    routes = {c.route for c in cases if c.route}
    outcome.routes = len(routes)
    outcome.routes_agreeing = len(routes - failing_routes)
    return outcome


def _request(recorded: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if recorded is None else {k: v for k, v in recorded.items() if k != "answer"}


def rate(outcomes: list[Outcome]) -> float:
    """The share of routes that agree, over every environment."""
    routes = sum(o.routes for o in outcomes)
    return sum(o.routes_agreeing for o in outcomes) / routes if routes else 1.0


def report(outcomes: list[Outcome], details: bool = True) -> str:
    """The agreement per environment and overall; with ``details``, every disagreement."""
    lines = []
    for o in outcomes:
        share = o.routes_agreeing / o.routes if o.routes else 1.0
        lines.append(f"{o.environment}: {o.routes_agreeing}/{o.routes} routes agree ({share:.1%})")
        if details:
            lines += [f"  {key}: {'; '.join(found)}" for key, found in o.disagreements.items()]
        lines += [f"  stale fixture, re-record: {case}" for case in o.stale]
    agreeing = sum(o.routes_agreeing for o in outcomes)
    total = sum(o.routes for o in outcomes)
    lines.append(
        f"overall: {agreeing}/{total} routes agree with mockoon-cli ({rate(outcomes):.1%})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat.mockoon.harness")
    parser.add_argument("environments", nargs="*", help="file stems (default: all)")
    args = parser.parse_args(argv)
    chosen = [e for e in environments() if not args.environments or e.stem in args.environments]
    print(report([replay(e) for e in chosen]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
