"""WireMock request patterns, read by our importer and compiled into our operators,
against WireMock 3.13's recorded answers (wiremock_cases.json, written by
record_wiremock_matchers.py from the real jar): no Java needed here."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apidouble.importers.wiremock.request import request_pattern
from apidouble.matching.datetimes import use_clock
from apidouble.matching.pattern import compile_pattern
from apidouble.model import Request
from apidouble.state.clock import ManualClock

RECORDED = json.loads(Path(__file__).with_name("wiremock_cases.json").read_text())
CASES = [case for case in RECORDED["cases"] if case.get("matched") is not None]

KNOWN = {
    # How WireMock renders an array nested in a selected array is not settled yet.
    "body: jsonpath nested arrays java": "nested array item rendering",
}


def request_of(sent: dict[str, Any]) -> Request:
    body = (
        base64.b64decode(sent["body_b64"]) if "body_b64" in sent else sent.get("body", "").encode()
    )
    return Request(
        sent.get("method", "POST"), "/t", sent["query"],
        tuple((name, value) for name, value in sent["headers"]), body,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def recorded_now() -> Iterator[None]:
    previous = use_clock(ManualClock(wall=RECORDED["recorded_at"]))
    yield
    use_clock(previous)


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if case["name"] in KNOWN:
        marks.append(pytest.mark.xfail(reason=KNOWN[case["name"]], strict=True))
    return pytest.param(case, id=case["name"], marks=marks)


def test_enough_cases() -> None:
    assert len(CASES) >= 200
    assert {case["matched"] for case in CASES} == {True, False}


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_agrees_with_wiremock(case: dict[str, Any]) -> None:
    compiled = compile_pattern(request_pattern(case["pattern"]))
    request = request_of(case["request"])
    assert compiled.test_conditions(request) is case["matched"]
    assert compiled.explain(request).matched is case["matched"]
