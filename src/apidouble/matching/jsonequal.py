"""WireMock's ``equalToJson``: the ``equals_json`` value and body operators.

``expected`` is ``{"json": value or JSON text, "ignore_array_order", "ignore_extra_elements"}``.
Semantics, checked against WireMock 3.13 (json-unit underneath):

- numbers compare by value (``1`` = ``1.0`` = ``1.00``, big integers exactly), ``true``
  is not ``1``; keys in any order; ``null`` is a value (a missing key is not ``null``);
- ``ignore_extra_elements``: extra object keys and extra trailing array items are allowed;
  ``ignore_array_order``: array items match in any order (each item once);
- placeholders in expected strings, as ``${...}`` or ``#{...}``: ``json-unit.any-string``,
  ``json-unit.any-number``, ``json-unit.any-boolean``, ``json-unit.ignore`` (any value, the
  key must be there), ``json-unit.ignore-element``, ``json-unit.regex`` + a full-match regex
  on a string. Placeholders in keys are plain text;
- a body (or value) that is not JSON fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from apidouble.matching.assign import each_takes_one
from apidouble.matching.body import BodyMatcher, json_text, register_body_operator
from apidouble.matching.result import shown
from apidouble.matching.values import ValueOperator, ValueOptions, register_value_operator
from apidouble.model import INVALID_JSON, BodySpec, Request

_PLACEHOLDER = re.compile(r"[$#]\{json-unit\.([a-z-]+)\}(.*)", re.DOTALL)
_NOT_JSON: Any = object()

Compare = Callable[[Any], bool]


def parse_json(text: str | bytes) -> Any:
    """JSON with exact decimals (so ``1.50`` = ``1.5`` and big numbers stay exact), or
    ``_NOT_JSON``."""
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _exact(value: Any) -> Any:
    """Floats from ``json.loads`` as exact decimals, recursively."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _placeholder(text: str) -> Compare | None:
    found = _PLACEHOLDER.fullmatch(text)
    if found is None:
        return None
    name, rest = found.groups()
    if name == "regex":
        try:
            pattern = re.compile(rest)
        except re.error as error:
            raise ValueError(f"invalid json-unit regex {rest!r}: {error}") from None
        return lambda v: isinstance(v, str) and pattern.fullmatch(v) is not None
    if rest:
        return None
    checks: dict[str, Compare] = {
        "any-string": lambda v: isinstance(v, str),
        "any-number": _is_number,
        "any-boolean": lambda v: isinstance(v, bool),
        "ignore": lambda v: True,
        "ignore-element": lambda v: True,
    }
    return checks.get(name)


def compile_json(expected: Any, order_free: bool, extra: bool) -> Compare:
    """A test of one parsed JSON value against ``expected``, compiled once."""
    if isinstance(expected, str):
        check = _placeholder(expected)
        if check is not None:
            return check
        return lambda v: isinstance(v, str) and v == expected
    if isinstance(expected, bool) or expected is None:
        return lambda v: v is expected
    if _is_number(expected):
        number = expected
        return lambda v: _is_number(v) and v == number
    if isinstance(expected, dict):
        fields = [(key, compile_json(value, order_free, extra)) for key, value in expected.items()]
        keys = frozenset(expected)

        def obj(v: Any) -> bool:
            if not isinstance(v, dict) or (not extra and v.keys() != keys):
                return False
            return all(key in v and test(v[key]) for key, test in fields)

        return obj
    if isinstance(expected, list):
        items = [compile_json(item, order_free, extra) for item in expected]
        return _array(items, order_free, extra)
    raise ValueError(f"not a JSON value: {expected!r}")


def _array(items: list[Compare], order_free: bool, extra: bool) -> Compare:
    def array(v: Any) -> bool:
        if not isinstance(v, list) or len(v) < len(items) or (not extra and len(v) != len(items)):
            return False
        if not order_free:
            return all(test(found) for test, found in zip(items, v, strict=False))
        return each_takes_one(items, v)

    return array


def read_expectation(expected: Any, what: str) -> tuple[Any, Compare]:
    """The expected JSON (parsed when given as text) and its compiled test."""
    if not isinstance(expected, dict) or "json" not in expected:
        raise ValueError(f"{what}: expected {{'json': ..., 'ignore_array_order': ...}}")
    document = expected["json"]
    if isinstance(document, str | bytes):
        document = parse_json(document)
        if document is _NOT_JSON:
            raise ValueError(f"{what}: the expected JSON does not parse")
    else:
        document = _exact(document)
    order_free = bool(expected.get("ignore_array_order"))
    extra = bool(expected.get("ignore_extra_elements"))
    return document, compile_json(document, order_free, extra)


def _flags(expected: dict[str, Any]) -> str:
    names = (("any order", "ignore_array_order"), ("extra allowed", "ignore_extra_elements"))
    words = [word for word, key in names if expected.get(key)]
    return f" ({', '.join(words)})" if words else ""


def _shown_json(document: Any) -> str:
    return json_text(json.loads(json.dumps(document, default=str)))


def _value_equals_json(expected: Any, options: ValueOptions) -> ValueOperator:
    document, test = read_expectation(expected, options.what)

    def hit(value: str) -> bool:
        parsed = parse_json(value)
        return parsed is not _NOT_JSON and test(parsed)

    return ValueOperator(hit, shown(_shown_json(document)) + _flags(expected))


def _body_equals_json(spec: BodySpec) -> BodyMatcher:
    document, test = read_expectation(spec.expected, "body equals_json")

    def parsed(request: Request) -> Any:
        if request.json is INVALID_JSON:
            return _NOT_JSON
        return parse_json(request.body)

    def passes(request: Request) -> bool:
        found = parsed(request)
        return found is not _NOT_JSON and test(found)

    def actual(request: Request) -> str:
        return "<not JSON>" if parsed(request) is _NOT_JSON else shown(request.text)

    return BodyMatcher(
        "body equals json" + _flags(spec.expected),
        shown(_shown_json(document)),
        passes,
        actual,
    )


register_value_operator("equals_json", _value_equals_json, shown_as="equals json")
register_body_operator("equals_json", _body_equals_json)
