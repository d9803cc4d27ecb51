"""apidouble against mockoon-cli 9.9.0's recorded answers, over real sockets.

Every corpus environment is served and sent the cases mockoon-cli was sent (see
``cases.py``); at least 90 % of the routes must agree, and the disagreements must be
exactly those of ``differences.py``. With mockoon-cli installed, one environment is
also re-asked live, so a stale recording shows. Skips when the corpus is absent.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.compat.mockoon import peer
from tests.compat.mockoon.answers import TIMEOUT_S, send
from tests.compat.mockoon.cases import all_cases, environments
from tests.compat.mockoon.compare import differences
from tests.compat.mockoon.differences import DIFFERENCES
from tests.compat.mockoon.harness import Outcome, rate, replay, report
from tests.compat.mockoon.record import fixture_path

pytestmark = pytest.mark.skipif(not environments(), reason="Mockoon corpus not present")
MIN_AGREEMENT = 0.90


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return [replay(environment) for environment in environments()]


def test_every_environment_has_a_current_fixture(outcomes: list[Outcome]) -> None:
    stale = {o.environment: o.stale for o in outcomes if o.stale}
    assert not stale, f"re-record: .venv/bin/python -m tests.compat.mockoon.record {stale}"


def test_most_routes_agree_with_mockoon(outcomes: list[Outcome]) -> None:
    measured = rate(outcomes)
    print("\n" + report(outcomes, details=False))
    assert measured >= MIN_AGREEMENT, report(outcomes)


def test_the_disagreements_are_the_known_ones(outcomes: list[Outcome]) -> None:
    found = {key: what for o in outcomes for key, what in o.disagreements.items()}
    new = {key: what for key, what in found.items() if key not in DIFFERENCES}
    fixed = sorted(set(DIFFERENCES) - set(found))
    assert not new, f"new disagreements (fix them or list them in differences.py): {new}"
    assert not fixed, f"these agree now: take them out of differences.py and the docs: {fixed}"


@pytest.mark.skipif(peer.available() is not None, reason=str(peer.available()))
def test_the_recording_still_matches_mockoon_cli() -> None:
    environment = next(e for e in environments() if e.stem.startswith("demo-environment"))
    env = json.loads(environment.read_text(encoding="utf-8"))
    fixture = json.loads(fixture_path(environment).read_text(encoding="utf-8"))
    recorded = {case["id"]: case["answer"] for case in fixture["cases"]}
    drifted = {}
    with peer.mockoon(environment) as url, httpx.Client(base_url=url, timeout=TIMEOUT_S) as client:
        for case in all_cases(env):
            live = send(client, case, fixture["headers"])
            if found := differences(case.to_json(), recorded[case.id], live, env):
                drifted[case.id] = found
    assert not drifted, f"mockoon-cli answers otherwise now: re-record ({drifted})"
