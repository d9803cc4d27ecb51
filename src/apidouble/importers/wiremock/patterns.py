"""WireMock's value patterns (``{"equalTo": "x"}``, ``{"matches": "..."}``, ...) as our specs.

A value pattern (query parameter, header, cookie, form field, path parameter) becomes a
``ValueSpec``; a body pattern (``bodyPatterns`` items) a ``BodySpec``. The operator names
are those registered in ``apidouble.matching`` (native ones where WireMock's mean the
same, WireMock's own otherwise), so the compiled matchers are the ones every stub uses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from apidouble.importers.wiremock.problems import MappingError, at
from apidouble.model import BodySpec, ValueSpec

ANYTHING = ValueSpec("present", True, negate=False)
"""WireMock's ``anything``: what a missing condition would allow, spelled as a check."""

DATE_OPS = {"before": "before", "after": "after", "equalToDateTime": "equals_datetime"}
"""WireMock's date-time operators -> ours (``spelling`` reads them the other way)."""
DATE_OPTIONS = {
    "expectedOffset": "offset_amount",
    "expectedOffsetUnit": "offset_unit",
    "actualFormat": "actual_format",
    "truncateExpected": "truncate_expected",
    "truncateActual": "truncate_actual",
    "applyTruncationLast": "apply_truncation_last",
}
_TEXT_OPS = ("equalTo", "contains", "doesNotContain", "matches", "doesNotMatch")
_OPERATORS = (
    *_TEXT_OPS,
    "absent",
    "anything",
    "equalToJson",
    "matchesJsonPath",
    "matchesJsonSchema",
    "equalToXml",
    "matchesXPath",
    "binaryEqualTo",
    *DATE_OPS,
    "and",
    "or",
    "not",
    "hasExactly",
    "includes",
)


def _operator(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        raise MappingError(f'expected a matcher object such as {{"equalTo": ...}}, got {raw!r}')
    found = [name for name in _OPERATORS if name in raw]
    if len(found) != 1:
        known = ", ".join(_OPERATORS)
        what = f"several ({', '.join(found)})" if found else f"none of {known}"
        raise MappingError(f"a matcher takes exactly one operator; found {what}")
    return found[0]


def _text(raw: Mapping[str, Any], op: str) -> str:
    value = raw[op]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise at(f"{op} takes a string, got {value!r}", op)
    return value if isinstance(value, str) else json.dumps(value)


def _json_options(raw: Mapping[str, Any], op: str) -> dict[str, Any]:
    return {
        "json": raw[op],
        "ignore_array_order": bool(raw.get("ignoreArrayOrder", False)),
        "ignore_extra_elements": bool(raw.get("ignoreExtraElements", False)),
    }


def _date(raw: Mapping[str, Any], op: str) -> dict[str, Any]:
    expected: dict[str, Any] = {"value": _text(raw, op)}
    for theirs, ours in DATE_OPTIONS.items():
        expected[ours] = raw.get(theirs)
    expected["apply_truncation_last"] = bool(expected["apply_truncation_last"])
    return expected


def _xml_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "xml": _text(raw, "equalToXml"),
        "placeholders": bool(raw.get("enablePlaceholders", False)),
        "opening": raw.get("placeholderOpeningDelimiterRegex"),
        "closing": raw.get("placeholderClosingDelimiterRegex"),
        "exempted": tuple(raw.get("exemptedComparisons") or ()),
    }


def _many(raw: Mapping[str, Any], op: str) -> tuple[ValueSpec, ...]:
    items = raw[op]
    if not isinstance(items, list) or not items:
        raise at(f"{op} takes a non-empty list of matchers", op)
    specs = []
    for index, item in enumerate(items):
        try:
            specs.append(value_spec(item))
        except MappingError as exc:
            raise exc.under(op, index) from None
    return tuple(specs)


def value_spec(raw: Any) -> ValueSpec:
    """One WireMock value pattern as a ``ValueSpec``; raises ``MappingError``."""
    op = _operator(raw)
    fold = bool(raw.get("caseInsensitive", False))
    match op:
        case "equalTo":
            return ValueSpec("equals", _text(raw, op), fold)
        case "contains":
            return ValueSpec("contains", _text(raw, op), fold)
        case "matches":
            return ValueSpec("regex", _text(raw, op), fold)
        case "doesNotContain":  # WireMock's negations hold when any value misses
            return ValueSpec("not", ValueSpec("contains", _text(raw, op), fold))
        case "doesNotMatch":
            return ValueSpec("not", ValueSpec("regex", _text(raw, op), fold))
        case "absent":
            return ValueSpec("present", not raw[op])
        case "anything":
            return ANYTHING
        case "equalToJson":
            return ValueSpec("equals_json", _json_options(raw, op))
        case "equalToXml":
            return ValueSpec("equals_xml", _xml_options(raw))
        case "binaryEqualTo":
            return ValueSpec("binary_equals", _text(raw, op))
        case "matchesXPath":
            expression, sub = _selector(raw, op)
            namespaces = raw.get("xPathNamespaces")
            expected = {"expression": expression, "namespaces": namespaces, "value": sub}
            return ValueSpec("xpath", expected)
        case "before" | "after" | "equalToDateTime":
            return ValueSpec(DATE_OPS[op], _date(raw, op))
        case "and" | "or":
            return ValueSpec("all_of" if op == "and" else "any_of", _many(raw, op))
        case "hasExactly" | "includes":
            return ValueSpec("has_exactly" if op == "hasExactly" else "includes", _many(raw, op))
        case "not":
            try:
                inner = value_spec(raw[op])
            except MappingError as exc:
                raise exc.under(op) from None
            return ValueSpec("not", inner)
        case _:
            raise at(f"{op} applies to request bodies only", op)


def body_spec(raw: Any) -> BodySpec:
    """One ``bodyPatterns`` item as a ``BodySpec``; raises ``MappingError``."""
    op = _operator(raw)
    match op:
        case "equalToJson":
            return BodySpec("equals_json", _json_options(raw, op))
        case "matchesJsonPath":
            expression, sub = _selector(raw, op)
            return BodySpec("wm_jsonpath", expression=expression, value=sub)
        case "matchesXPath":
            expression, sub = _selector(raw, op)
            namespaces = raw.get("xPathNamespaces")
            return BodySpec("xpath", {"namespaces": namespaces}, expression=expression, value=sub)
        case "matchesJsonSchema":
            return BodySpec("schema", _schema(raw, op))
        case "equalToXml":
            return BodySpec("equals_xml", _xml_options(raw))
        case "binaryEqualTo":
            return BodySpec("binary_equals", _text(raw, op))
        case "and" | "or" if not _all_values(raw[op]):
            parts = []
            for index, item in enumerate(raw[op] if isinstance(raw[op], list) else ()):
                try:
                    parts.append(body_spec(item))
                except MappingError as exc:
                    raise exc.under(op, index) from None
            if not parts:
                raise at(f"{op} takes a non-empty list of matchers", op)
            return BodySpec("all_of" if op == "and" else "any_of", tuple(parts))
        case _:
            return BodySpec("text", value=value_spec(raw))


_BODY_ONLY = ("matchesJsonPath", "matchesJsonSchema")


def _all_values(items: Any) -> bool:
    """Whether every pattern of a body ``and``/``or`` also reads a plain value (then the
    whole is one value condition on the body text)."""
    if not isinstance(items, list):
        return True  # value_spec reports the mistake
    return all(
        isinstance(item, Mapping)
        and not any(key in item for key in _BODY_ONLY)
        and all(_all_values(item[k]) for k in ("and", "or") if k in item)
        for item in items
    )


def _selector(raw: Mapping[str, Any], op: str) -> tuple[str, ValueSpec | None]:
    """``"$.x"`` or ``{"expression": "$.x", <sub-matcher>}``."""
    given = raw[op]
    if isinstance(given, str):
        return given, None
    if not isinstance(given, Mapping) or not isinstance(given.get("expression"), str):
        raise at(f"{op} takes an expression, or an object with 'expression' and a matcher", op)
    rest = {k: v for k, v in given.items() if k != "expression"}
    if not rest:
        return given["expression"], None
    try:
        return given["expression"], value_spec(rest)
    except MappingError as exc:
        raise exc.under(op) from None


def _schema(raw: Mapping[str, Any], op: str) -> Any:
    given = raw[op]
    if isinstance(given, str):
        try:
            return json.loads(given)
        except ValueError as exc:
            raise at(f"{op}: the schema is not valid JSON ({exc})", op) from None
    if isinstance(given, Mapping | bool):
        return given
    raise at(f"{op} takes a JSON Schema (as text or an object)", op)
