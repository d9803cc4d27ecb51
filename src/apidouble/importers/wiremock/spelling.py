"""Our specs in WireMock's spelling: the inverse of ``patterns`` and ``request``.

``value_pattern``/``body_pattern`` write a ``ValueSpec``/``BodySpec`` as the WireMock
pattern that reads back into it (native-only operators as their nearest WireMock
equivalent: ``one_of`` as ``or``, a negation as ``not``); ``fragment`` writes the
conditions of a ``RequestPattern`` that native ``match:`` keys cannot say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from apidouble.importers.wiremock.patterns import DATE_OPS, DATE_OPTIONS
from apidouble.model import BodySpec, RequestPattern, ValueSpec

NATIVE_VALUE_OPS = frozenset({"equals", "contains", "regex", "present", "one_of"})
NATIVE_BODY_OPS = frozenset({"equals", "contains", "regex", "json", "jsonpath", "schema"})
_TEXT = {"equals": "equalTo", "contains": "contains", "regex": "matches"}
_DATES = {ours: theirs for theirs, ours in DATE_OPS.items()}
_DATE_OPTIONS = {  # apply_truncation_last is written only when set: see _date
    ours: theirs for theirs, ours in DATE_OPTIONS.items() if ours != "apply_truncation_last"
}
_LISTS = {"all_of": "and", "any_of": "or", "has_exactly": "hasExactly", "includes": "includes"}


def value_pattern(spec: ValueSpec) -> dict[str, Any]:
    """A value condition as a WireMock value pattern."""
    found = _value(spec)
    return {"not": found} if spec.negate else found


def _value(spec: ValueSpec) -> dict[str, Any]:
    op, expected = spec.op, spec.expected
    fold = {"caseInsensitive": True} if spec.case_insensitive else {}
    if op in _TEXT:
        return {_TEXT[op]: expected, **fold}
    if op == "present":
        return {"absent": not expected}
    if op == "one_of":
        return {"or": [{"equalTo": item, **fold} for item in expected]}
    if op == "not":
        return {"not": value_pattern(expected)}
    if op in _LISTS:
        return {_LISTS[op]: [value_pattern(item) for item in expected]}
    if op == "equals_json":
        return _json(expected)
    if op == "equals_xml":
        return _xml(expected)
    if op == "binary_equals":
        return {"binaryEqualTo": expected}
    if op == "xpath":
        found = {"matchesXPath": _selector(expected["expression"], expected["value"])}
        if expected.get("namespaces"):
            found["xPathNamespaces"] = expected["namespaces"]
        return found
    if op in _DATES:
        return _date(_DATES[op], expected)
    raise ValueError(f"no WireMock spelling for the {op!r} matcher")


def body_pattern(spec: BodySpec) -> dict[str, Any]:
    """A body condition as a WireMock ``bodyPatterns`` item (not ``form``/``multipart``)."""
    op, expected = spec.op, spec.expected
    match op:
        case "equals" if isinstance(expected, str):
            return {"equalTo": expected}
        case "equals":
            return {"equalToJson": expected}
        case "json":
            return {"equalToJson": expected, "ignoreExtraElements": True}
        case "contains":
            return {"contains": expected}
        case "regex":  # ours lets . match newlines
            return {"matches": f"(?s){expected}"}
        case "jsonpath" | "wm_jsonpath":
            return {"matchesJsonPath": _selector(spec.expression or "$", spec.value)}
        case "schema":
            return {"matchesJsonSchema": expected}
        case "equals_json":
            return _json(expected)
        case "equals_xml":
            return _xml(expected)
        case "binary_equals":
            return {"binaryEqualTo": expected}
        case "xpath":
            found = {"matchesXPath": _selector(spec.expression or "", spec.value)}
            if isinstance(expected, Mapping) and expected.get("namespaces"):
                found["xPathNamespaces"] = expected["namespaces"]
            return found
        case "text" if spec.value is not None:
            return value_pattern(spec.value)
        case "all_of" | "any_of":
            return {_LISTS[op]: [body_pattern(item) for item in expected]}
    raise ValueError(f"no WireMock spelling for the {op!r} body matcher")


def is_native_value(spec: ValueSpec) -> bool:
    """Whether native ``match:`` keys load into exactly this spec."""
    return spec.op in NATIVE_VALUE_OPS and not isinstance(spec.expected, ValueSpec)


def fragment(pattern: RequestPattern, native_body: int, everything: bool = False) -> dict[str, Any]:
    """The pattern's conditions native keys cannot say, as a ``match.wiremock`` fragment:
    non-native value groups, the body conditions from ``native_body`` on, and path
    parameters, the whole URL, host, port and scheme (``everything``: every condition
    but the method and path, for a mapping's ``request``)."""
    found: dict[str, Any] = {}
    for ours, theirs in (("query", "queryParameters"), ("headers", "headers")):
        values = getattr(pattern, ours)
        if values and (everything or not all(is_native_value(spec) for _, spec in values)):
            found[theirs] = {name: value_pattern(spec) for name, spec in values}
    cookies = pattern.cookies
    if cookies and (everything or not all(is_native_value(spec) for _, spec in cookies)):
        found["cookies"] = {name: _cookie(spec) for name, spec in cookies}
    bodies: list[dict[str, Any]] = []
    for spec in pattern.body[native_body:]:
        if spec.op == "form":
            found["formParameters"] = {name: value_pattern(v) for name, v in spec.expected}
        elif spec.op == "multipart":
            found.setdefault("multipartPatterns", []).append(_multipart(spec.expected))
        else:
            bodies.append(body_pattern(spec))
    if bodies:
        found = {"bodyPatterns": bodies, **found}
    if pattern.params:
        found["pathParameters"] = {name: value_pattern(spec) for name, spec in pattern.params}
    if pattern.url is not None:
        key = "urlPattern" if pattern.url.op == "regex" else "url"
        found[key] = pattern.url.expected
    elif pattern.no_query:
        found["url"] = pattern.path or unescape(pattern.path_regex or "")
    if pattern.host is not None:
        found["host"] = value_pattern(pattern.host)
    if pattern.port is not None:
        found["port"] = pattern.port
    if pattern.scheme is not None:
        found["scheme"] = pattern.scheme
    return found


def native_body_count(pattern: RequestPattern) -> int:
    """How many leading body conditions native ``match.body`` says (the rest, WireMock's,
    follow in the fragment, so the order is kept)."""
    count = 0
    for spec in pattern.body:
        if spec.op not in NATIVE_BODY_OPS:
            break
        count += 1
    return count


def unescape(regex: str) -> str:
    """The text ``re.escape`` made ``regex`` from."""
    return re.sub(r"\\(.)", r"\1", regex)


def _cookie(spec: ValueSpec) -> dict[str, Any]:
    """WireMock's cookie negation reads back into ``present and not``: write it as it was."""
    if spec.op == "all_of" and len(spec.expected) == 2:
        first, second = spec.expected
        if first == ValueSpec("present", True) and second.op == "not":
            return value_pattern(second)
    return value_pattern(spec)


def _json(expected: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"equalToJson": expected["json"]}
    if expected.get("ignore_array_order"):
        found["ignoreArrayOrder"] = True
    if expected.get("ignore_extra_elements"):
        found["ignoreExtraElements"] = True
    return found


def _xml(expected: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"equalToXml": expected["xml"]}
    if expected.get("placeholders"):
        found["enablePlaceholders"] = True
    if expected.get("opening") is not None:
        found["placeholderOpeningDelimiterRegex"] = expected["opening"]
    if expected.get("closing") is not None:
        found["placeholderClosingDelimiterRegex"] = expected["closing"]
    if expected.get("exempted"):
        found["exemptedComparisons"] = list(expected["exempted"])
    return found


def _date(op: str, expected: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {op: expected["value"]}
    for ours, theirs in _DATE_OPTIONS.items():
        if expected.get(ours) is not None:
            found[theirs] = expected[ours]
    if expected.get("apply_truncation_last"):
        found["applyTruncationLast"] = True
    return found


def _selector(expression: str, value: ValueSpec | None) -> Any:
    if value is None:
        return expression
    return {"expression": expression, **value_pattern(value)}


def _multipart(expected: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"matchingType": expected["match_type"]}
    if expected["headers"]:
        found["headers"] = {name: value_pattern(spec) for name, spec in expected["headers"]}
    if expected["body"]:
        found["bodyPatterns"] = [body_pattern(spec) for spec in expected["body"]]
    return found
