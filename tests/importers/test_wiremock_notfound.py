"""WireMock's plain-text "Request was not matched" report, byte for byte.

``notfound/recorded.json`` holds what WireMock 3.13.2 answered (written by
``notfound/record.py`` from the real jar); ``notfound/golden/`` holds reports from
WireMock's own test resources. No Java needed here.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from apidouble.importers.wiremock.notfound import render_not_found
from apidouble.model import Request

HERE = Path(__file__).with_name("notfound")
RECORDED = json.loads((HERE / "recorded.json").read_text())["cases"]
_JAVA_BYTES = re.compile(r"\[B@[0-9a-f]+")

KNOWN: dict[str, str] = {}


def request_of(sent: dict[str, Any]) -> Request:
    path, _, query = sent["target"].partition("?")
    return Request(
        sent["method"], unquote(path), query,
        tuple((name, value) for name, value in sent["headers"]),
        base64.b64decode(sent["body_b64"]),
    )  # fmt: skip


def closest(case: dict[str, Any]) -> dict[str, Any] | None:
    """The mapping WireMock showed: the one whose name heads the report, else the only one."""
    mappings = case["mappings"]
    if len(mappings) <= 1:
        return mappings[0] if mappings else None
    for mapping in mappings:
        if f"\n{mapping['name']} " in case["report"]:
            return mapping  # type: ignore[no-any-return]
    raise AssertionError("no mapping name in the report")


def normalised(text: str) -> str:
    """Java prints a byte array with its identity hash: the one time-dependent part."""
    return _JAVA_BYTES.sub("[B@...", text)


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if case["name"] in KNOWN:
        marks.append(pytest.mark.xfail(reason=KNOWN[case["name"]], strict=True))
    return pytest.param(case, id=case["name"], marks=marks)


def test_enough_cases() -> None:
    assert len(RECORDED) >= 40


@pytest.mark.parametrize("case", [_param(case) for case in RECORDED])
def test_matches_wiremock(case: dict[str, Any]) -> None:
    rendered = render_not_found(
        closest(case), request_of(case["request"]), scenario_state=case["scenario_state"]
    )
    assert normalised(rendered) == normalised(case["report"])


GOLDEN = json.loads((HERE / "golden.json").read_text())["cases"]


def golden_request(sent: dict[str, Any]) -> Request:
    path, _, query = sent["target"].partition("?")
    headers = tuple((name, value) for name, value in sent["headers"])
    return Request(sent["method"], path, query, headers, sent["body"].encode())


@pytest.mark.parametrize("case", GOLDEN, ids=[case["file"] for case in GOLDEN])
def test_matches_wiremock_test_resources(case: dict[str, Any]) -> None:
    expected = (HERE / "golden" / case["file"]).read_text()
    rendered = render_not_found(
        case["mapping"], golden_request(case["request"]), scenario_state=case["scenario_state"]
    )
    assert rendered == expected


def test_no_stubs() -> None:
    text = render_not_found(None, Request("GET", "/"))
    assert (
        text
        == "No response could be served as there are no stub mappings in this WireMock instance."
    )
