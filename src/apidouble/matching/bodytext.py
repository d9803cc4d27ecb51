"""``text``: any value operator applied to the whole body as text.

WireMock's body patterns are its value patterns (``equalTo``, ``contains``,
``doesNotMatch``, ``before``, ``and``...) pointed at the body; this operator gives each
of them, with their negation and case folding, without a body twin per operator. An
empty body counts as absent (so ``absent: true`` holds for a request without one).
"""

from __future__ import annotations

from collections.abc import Sequence

from apidouble.matching.body import BodyMatcher, register_body_operator
from apidouble.matching.result import shown
from apidouble.matching.values import compile_value
from apidouble.model import BodySpec, Request


def _values(request: Request) -> Sequence[str] | None:
    text = request.text
    return (text,) if text else None


def _text(spec: BodySpec) -> BodyMatcher:
    if spec.value is None:
        raise ValueError("body text: a value condition is required")
    matcher = compile_value(spec.value, "body")

    def test(request: Request) -> bool:
        return matcher.test(_values(request))

    def grade(request: Request) -> float:
        return matcher.explain(_values(request)).distance

    return BodyMatcher(
        matcher.condition,
        matcher.expected,
        test,
        lambda request: shown(request.text),
        grade,
    )


register_body_operator("text", _text)
