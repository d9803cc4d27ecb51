"""``wm_jsonpath``: WireMock's ``matchesJsonPath``, where it differs from ``jsonpath``.

``BodySpec("wm_jsonpath", expression=..., value=ValueSpec | None)``. Semantics, checked
against WireMock 3.13 (Jayway JsonPath underneath):

- With no ``value``, the path must select something that is not ``null``, an empty
  array or an empty object.
- ``value`` sees what WireMock renders: strings as-is, numbers as Java prints them
  (``1.0``, ``1.0E10``), objects as Jackson's pretty JSON; an array (selected, or the
  result of a filter or wildcard) gives one value per item, items printed as Java's
  ``toString`` (``{k=v}``, ``[1, 2]``); an empty array or ``null`` is absent.
- An ``equals_json`` value compares the whole selection as JSON instead.
- Jayway forms: a filter on the root object (``$[?(@.a == 1)]``) tests the root itself;
  ``.size()`` / ``.length()`` give an array's length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from apidouble.matching.body import BodyMatcher, register_body_operator
from apidouble.matching.jsonpaths import compile_jsonpath, find_in_document
from apidouble.matching.result import shown
from apidouble.matching.values import ValueMatcher, compile_value
from apidouble.model import INVALID_JSON, BodySpec, Request

_SIZE = re.compile(r"(@(?:\.[\w-]+|\[[^\]]*\])*)\.(?:size|length)\(\)")
_TAIL_SIZE = re.compile(r"\.(?:size|length)\(\)\s*$")
_NOT_JSON = "<not JSON>"
_NOTHING: Any = object()


def java_number(value: Any) -> str:
    """A number as ``String.valueOf`` prints a Java ``Integer``/``Long``/``Double``."""
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        text = repr(number)
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    assert isinstance(exponent, int)
    shown_digits = "".join(map(str, digits))
    power = exponent + len(digits) - 1
    mantissa = shown_digits[0] + "." + (shown_digits[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"


def java_text(value: Any) -> str:
    """``String.valueOf`` of a JSON value as Jayway hands it over."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float | Decimal):
        return java_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(java_text(item) for item in value) + "]"


def jackson_pretty(value: Any, nesting: int = 0) -> str:
    """Jackson's default pretty printer: objects on indented lines, arrays inline."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        pad = "  " * (nesting + 1)
        members = [f"{pad}{json.dumps(k, ensure_ascii=False)} : {jackson_pretty(v, nesting + 1)}"
                   for k, v in value.items()]  # fmt: skip
        return "{\n" + ",\n".join(members) + "\n" + "  " * nesting + "}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(jackson_pretty(item, nesting) for item in value) + " ]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):  # a number parsed as written (WireMock's reports)
        return format(value, "f")  # never in E notation
    return java_text(value)


class _Path:
    """A compiled Jayway-style path on python-jsonpath."""

    __slots__ = ("path", "root_filter", "length", "definite", "_errors")

    def __init__(self, expression: str) -> None:
        self.length = _TAIL_SIZE.search(expression) is not None
        text = _TAIL_SIZE.sub("", expression)
        text = _SIZE.sub(lambda m: f"length({m.group(1)})", text)
        self.root_filter = text.replace(" ", "").startswith("$[?")
        import jsonpath  # here, not at the top: only configs that use it pay for its import

        self._errors = (jsonpath.JSONPathError, TypeError)
        try:
            self.path = compile_jsonpath(text)  # its filters' =~ run bounded in time
        except (jsonpath.JSONPathError, re.error) as error:  # re: a filter's =~ /pattern/
            message = str(error).splitlines()[0]
            raise ValueError(
                f"body jsonpath: invalid expression {expression!r}: {message}"
            ) from None
        single = isinstance(self.path, jsonpath.JSONPath) and self.path.singular_query()
        self.definite = single and not self.root_filter

    def select(self, document: Any) -> Any:
        """Jayway's answer: one value for a definite path, a list otherwise, or
        ``_NOTHING`` when a definite path finds nothing."""
        if self.root_filter and isinstance(document, dict):
            document = [document]
        try:
            found = find_in_document(self.path, document)
        except self._errors:
            return _NOTHING
        if self.definite:
            result = found[0] if found else _NOTHING
        else:
            result = found
        if self.length:
            return len(result) if isinstance(result, list | dict | str) else _NOTHING
        return result


def _rendered(selected: Any) -> list[str] | None:
    """The values a sub-matcher sees; None: absent."""
    if selected is _NOTHING or selected is None:
        return None
    if isinstance(selected, list):
        return [java_text(item) for item in selected] or None
    if isinstance(selected, dict):
        return [jackson_pretty(selected)]
    return [java_text(selected)]


def _present(selected: Any) -> bool:
    if selected is _NOTHING or selected is None or selected is INVALID_JSON:
        return False
    return not isinstance(selected, list | dict) or bool(selected)


def _wm_jsonpath(spec: BodySpec) -> BodyMatcher:
    expression, value = spec.expression, spec.value
    if not expression:
        raise ValueError("body wm_jsonpath: an expression is required")
    path = _Path(expression)
    label = f"body jsonpath {expression}"

    def select(request: Request) -> Any:
        document = request.json
        if document is INVALID_JSON:
            return INVALID_JSON
        return path.select(document)

    def show(request: Request) -> str:
        selected = select(request)
        if selected is INVALID_JSON:
            return _NOT_JSON
        if not _present(selected):
            return "<nothing selected>"
        return shown(json.dumps(selected, ensure_ascii=False, default=str))

    if value is None:
        return BodyMatcher(label, "selects something", lambda r: _present(select(r)), show)
    matcher: ValueMatcher = compile_value(value, label)
    whole = value.op == "equals_json"
    absent_ok = value.op == "present"

    def values(request: Request) -> Sequence[str] | None:
        selected = select(request)
        if selected is INVALID_JSON:
            return None
        if whole:
            if selected is _NOTHING:
                return None
            # A selected string is compared as its raw text, which is rarely JSON.
            return [selected if isinstance(selected, str) else json.dumps(selected, default=str)]
        return _rendered(selected)

    def test(request: Request) -> bool:
        selected = select(request)
        if selected is INVALID_JSON or selected == {}:
            return False  # WireMock: an empty object satisfies no sub-matcher
        found = values(request)
        if found is None and not absent_ok:
            return False  # nothing selected: only ``present: false`` holds (as WireMock)
        return matcher.test(found)

    def grade(request: Request) -> float:
        return matcher.explain(values(request)).distance

    return BodyMatcher(matcher.condition, matcher.expected, test, show, grade)


register_body_operator("wm_jsonpath", _wm_jsonpath)
