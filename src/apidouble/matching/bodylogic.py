"""``all_of`` / ``any_of`` over body conditions (WireMock's ``and`` / ``or`` of body
patterns, where a JSONPath or XPath condition sits beside a text one)."""

from __future__ import annotations

from apidouble.matching.body import BodyMatcher, compile_body, register_body_operator
from apidouble.matching.result import shown
from apidouble.model import BodySpec, Request


def _parts(spec: BodySpec) -> list[BodyMatcher]:
    given = spec.expected
    if not isinstance(given, tuple | list) or not given:
        raise ValueError(f"body {spec.op}: expected a non-empty list of body conditions")
    if not all(isinstance(part, BodySpec) for part in given):
        raise ValueError(f"body {spec.op}: expected body conditions, got {given!r}")
    return [compile_body(part) for part in given]


def _joined(parts: list[BodyMatcher], joiner: str) -> str:
    return f" {joiner} ".join(f"({part.condition} {part.expected})" for part in parts)


def _all_of(spec: BodySpec) -> BodyMatcher:
    parts = _parts(spec)

    def test(request: Request) -> bool:
        return all(part.test(request) for part in parts)

    return BodyMatcher("body all of", _joined(parts, "and"), test, _actual)


def _any_of(spec: BodySpec) -> BodyMatcher:
    parts = _parts(spec)

    def test(request: Request) -> bool:
        return any(part.test(request) for part in parts)

    return BodyMatcher("body any of", _joined(parts, "or"), test, _actual)


def _actual(request: Request) -> str:
    return shown(request.text)


register_body_operator("all_of", _all_of)
register_body_operator("any_of", _any_of)
