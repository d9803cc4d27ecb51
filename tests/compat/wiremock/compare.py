"""What counts as the same answer: status, Content-Type, the headers WireMock set, the body.

Headers WireMock adds on its own (``Date``, ``Server``, ``Matched-Stub-Id``…) are left
out unless a stub of the case sets them. WireMock's plain-text "Request was not
matched" report is its own category: the status of an unmatched request is compared
with the rest, the report text separately, so a report we word differently cannot
hide (or be hidden by) a wrong status.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .wire import Probe

IGNORED_HEADERS = frozenset(
    {
        "date",
        "server",
        "matched-stub-id",
        "matched-stub-name",
        "transfer-encoding",
        "vary",
        "content-length",
        "connection",
        "keep-alive",
    }
)
PRESENCE_ONLY = frozenset({"last-modified", "expires", "etag"})
REPORT_MARKERS = ("Request was not matched", "No response could be served")


@dataclass
class Verdict:
    """One request's comparison: the main differences and, if unmatched, the report's."""

    case: str
    name: str
    differences: list[str] = field(default_factory=list)
    report: bool | None = None
    expected_different: str = ""

    @property
    def agrees(self) -> bool:
        return not self.differences


_JAVA_ARRAY = re.compile(r"\[B@[0-9a-f]+")
"""How Java prints a byte array (``[B@`` and an identity hash that changes every run)."""


def _unhashed(text: str) -> str:
    return _JAVA_ARRAY.sub("[B@…", text)


def is_unmatched_report(answer: dict[str, Any]) -> bool:
    """WireMock's answer to a request no stub matched (its 404 report)."""
    return answer.get("status") == 404 and any(
        marker in str(answer.get("body", "")) for marker in REPORT_MARKERS
    )


def compare(
    case: str,
    probe: Probe,
    expected: dict[str, Any],
    actual: dict[str, Any],
    stub_headers: set[str],
    sides: tuple[str, str] = ("wiremock", "apidouble"),
) -> Verdict:
    """Compare ``actual`` (apidouble) with ``expected`` (WireMock) for one probe."""
    verdict = Verdict(case, probe.name, expected_different=probe.expected_different)
    diffs = verdict.differences
    want_side, got_side = sides
    if "refused" in actual:
        diffs.append(f"apidouble refused the root: {actual['refused']}")
        return verdict
    if expected["outcome"] != actual["outcome"]:
        diffs.append(
            f"outcome: {want_side} {expected['outcome']!r}, {got_side} {actual['outcome']!r}"
        )
        return verdict
    if expected["outcome"] != "ok":
        return verdict
    if expected["status"] != actual["status"]:
        diffs.append(f"status: {want_side} {expected['status']}, {got_side} {actual['status']}")
    if probe.min_elapsed_ms is not None:
        for side, answer in ((want_side, expected), (got_side, actual)):
            if answer["elapsed_ms"] < probe.min_elapsed_ms:
                diffs.append(f"{side} answered in {answer['elapsed_ms']} ms, before the delay")
    if is_unmatched_report(expected):
        verdict.report = _unhashed(_text(expected)) == _unhashed(_text(actual))
        return verdict
    if "headers" in probe.compare:
        diffs.extend(_headers(expected, actual, stub_headers, probe, sides))
    if "body" in probe.compare:
        diffs.extend(_body(expected, actual, probe, sides))
    return verdict


def header_values(answer: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in answer.get("headers", []) if key.lower() == name]


def _headers(
    expected: dict[str, Any],
    actual: dict[str, Any],
    stub_headers: set[str],
    probe: Probe,
    sides: tuple[str, str],
) -> list[str]:
    names = {key.lower() for key, _ in expected.get("headers", [])} | {"content-type"}
    diffs = []
    for name in sorted(names):
        if name in IGNORED_HEADERS and name not in stub_headers:
            continue
        want = [_normalise(v, probe) for v in header_values(expected, name)]
        got = [_normalise(v, probe) for v in header_values(actual, name)]
        if name in PRESENCE_ONLY and name not in stub_headers:
            want, got = [str(bool(want))], [str(bool(got))]  # file times differ per checkout
        if want != got:
            diffs.append(f"header {name}: {sides[0]} {want}, {sides[1]} {got}")
    return diffs


def _body(
    expected: dict[str, Any], actual: dict[str, Any], probe: Probe, sides: tuple[str, str]
) -> list[str]:
    want, got = _normalise(_text(expected), probe), _normalise(_text(actual), probe)
    if want == got:
        return []
    try:
        if json.loads(want) == json.loads(got):
            return []
    except ValueError:
        pass
    return [f"body: {sides[0]} {_clip(want)!r}, {sides[1]} {_clip(got)!r}"]


def _text(answer: dict[str, Any]) -> str:
    if "body_base64" in answer:
        return "base64:" + str(answer["body_base64"])
    return str(answer.get("body", ""))


def _normalise(text: str, probe: Probe) -> str:
    for pattern, replacement in probe.normalise:
        text = re.sub(pattern, replacement, text)
    return text


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def decode_body(answer: dict[str, Any]) -> bytes:
    """The answer's body bytes, whichever way they were stored."""
    if "body_base64" in answer:
        return base64.b64decode(answer["body_base64"])
    return str(answer.get("body", "")).encode()
