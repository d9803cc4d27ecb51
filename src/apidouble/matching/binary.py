"""WireMock's ``binaryEqualTo``: ``binary_equals``, as a body and a value operator.

``expected`` is base64 text; the body's bytes (or a value's UTF-8 bytes) must be equal.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from apidouble.matching.body import BodyMatcher, register_body_operator
from apidouble.matching.result import shown
from apidouble.matching.values import ValueOperator, ValueOptions, register_value_operator
from apidouble.model import BodySpec, Request


def decode_base64(expected: Any, what: str) -> bytes:
    """The expected bytes; a ``ValueError`` names the condition when it is not base64."""
    if not isinstance(expected, str):
        raise ValueError(f"{what}: expected base64 text, got {expected!r}")
    try:
        return base64.b64decode(expected, validate=True)
    except binascii.Error as error:
        raise ValueError(f"{what}: invalid base64: {error}") from None


def _as_base64(data: bytes) -> str:
    return shown(base64.b64encode(data).decode("ascii"))


def _value(expected: Any, options: ValueOptions) -> ValueOperator:
    data = decode_base64(expected, options.what)
    return ValueOperator(lambda value: value.encode() == data, _as_base64(data))


def _body(spec: BodySpec) -> BodyMatcher:
    data = decode_base64(spec.expected, "body binary_equals")

    def actual(request: Request) -> str:
        return f"{len(request.body)} bytes, base64 {_as_base64(request.body)}"

    return BodyMatcher(
        "body binary equals",
        f"{len(data)} bytes, base64 {_as_base64(data)}",
        lambda request: request.body == data,
        actual,
    )


register_value_operator("binary_equals", _value, shown_as="binary equals")
register_body_operator("binary_equals", _body)
