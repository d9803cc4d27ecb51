"""WireMock's plain-text 404 for an unmatched request: "Request was not matched", the
closest stub's mapping on the left, the request on the right, and a ``<<<<< ... does not
match`` marker on every line that fails.

The lines, their order and their wording are WireMock 3.13's (its ``Diff`` and
``PlainTextDiffRenderer``), quirks included: a body line compares against the body with a
line break in front, so an ``equalTo`` body is marked even when it is equal; a scenario
line is always marked; an empty request side reads "is not present". Whether a line
holds is decided by our own compiled matchers, each run on a request-pattern fragment
that holds only that line's part of the mapping. Nothing here runs unless a request
goes unmatched, so matching itself pays nothing for it.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs

from apidouble.importers.wiremock.notfound_select import selected_values
from apidouble.importers.wiremock.notfound_text import (
    Row,
    load_json,
    pretty_xml,
    render_table,
)
from apidouble.importers.wiremock.patterns import value_spec
from apidouble.importers.wiremock.problems import MappingError
from apidouble.importers.wiremock.request import request_pattern
from apidouble.matching.jsonselect import jackson_pretty as pretty_json
from apidouble.matching.multipart import split_parts
from apidouble.matching.paths import compile_path
from apidouble.matching.pattern import compile_pattern
from apidouble.matching.values import compile_value
from apidouble.model import Request

NO_STUBS = "No response could be served as there are no stub mappings in this WireMock instance."
DEFAULT_STATE = "Started"

_URL_FORMS = {
    "url": "",
    "urlPattern": "[regex] ",
    "urlPath": "[path] ",
    "urlPathPattern": "[path regex] ",
    "urlPathTemplate": "[path template] ",
}
_EQUALS = ("equalTo", "equalToJson", "equalToXml", "binaryEqualTo")
_MULTI = {"hasExactly": "exactly", "includes": "including"}
_SPACER: Row = ("", "", None)
_TEMPLATE_NAMES = re.compile(r"\{([^{}]+)\}")


def render_not_found(
    mapping: Mapping[str, Any] | None, request: Request, *, scenario_state: str | None = None
) -> str:
    """The report for ``request`` against ``mapping`` (the closest stub's mapping JSON as
    written); None: there are no stubs, and WireMock says so instead.

    ``scenario_state`` is the current state of the mapping's scenario (None: not started).
    """
    if mapping is None:
        return NO_STUBS
    raw = mapping.get("request")
    pattern: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    name = mapping.get("name")
    rows = list(_rows(mapping, pattern, request, scenario_state or DEFAULT_STATE))
    return render_table(name if isinstance(name, str) else None, rows)


def _rows(
    mapping: Mapping[str, Any], pattern: Mapping[str, Any], request: Request, state: str
) -> Iterator[Row]:
    method = str(pattern.get("method", "ANY"))
    methods = compile_pattern(request_pattern({"method": method}))
    yield _row("HTTP method", method, request.method, methods.test_method(request.method))
    url_row, url_holds = _url(pattern, request)
    yield url_row
    yield _SPACER
    yield from _headers(_header_patterns(pattern), request, pattern)
    if url_holds:
        yield from _path_params(pattern, request)
    yield from _query(pattern, request)
    yield from _form(pattern, request)
    yield from _cookies(pattern, request)
    yield from _bodies(pattern.get("bodyPatterns"), request)
    yield from _multipart(pattern.get("multipartPatterns"), request)
    scenario, required = mapping.get("scenarioName"), mapping.get("requiredScenarioState")
    if scenario is not None and required is not None:
        expected = f"[Scenario '{scenario}' state: {required}]"
        yield _row("Scenario", expected, f"[Scenario '{scenario}' state: {state}]", False)


def _row(attribute: str, printed: str, actual: str, holds: bool, hint: str = "") -> Row:
    """WireMock's ``DiffLine`` message: an empty request side "is not present" (held or
    not), a failed one "does not match"."""
    if not actual:
        return printed, actual, f"{attribute} is not present{hint}"
    if holds:
        return printed, actual, f"null{hint}" if hint else None
    return printed, actual, f"{attribute} does not match{hint}"


def _holds(fragment: Mapping[str, Any], request: Request) -> bool:
    """Whether ``request`` satisfies one part of a mapping, by our compiled matchers."""
    try:
        compiled = compile_pattern(request_pattern(fragment))
    except (MappingError, ValueError):
        return False
    return compiled.test_path(request.path) is not None and compiled.test_conditions(request)


def _url(pattern: Mapping[str, Any], request: Request) -> tuple[Row, bool]:
    key = next((k for k in _URL_FORMS if pattern.get(k) is not None), None)
    if key is None:
        return ("(always)", request.url, None), True
    expected = str(pattern[key])
    holds = _holds({key: expected}, request)
    hint = ""
    if key in ("urlPattern", "urlPathPattern") and not _question_marks_escaped(expected):
        hint += '. When using a regex, "?" should be "\\?"'
    if not expected.startswith("/"):
        hint += ". URLs must start with a /"
    return _row("URL", _URL_FORMS[key] + expected, request.url, holds, hint), holds


def _question_marks_escaped(regex: str) -> bool:
    """WireMock looks at the first ``?`` only."""
    index = regex.find("?")
    if index == -1:
        return True
    return index >= 2 and regex[index - 1] == "\\"


def _header_patterns(pattern: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Basic credentials first (as the ``Authorization`` header they stand for), then
    the headers in the mapping's order."""
    found: list[tuple[str, Any]] = []
    auth = pattern.get("basicAuthCredentials")
    if isinstance(auth, Mapping):
        token = f"{auth.get('username')}:{auth.get('password')}"
        found.append(
            ("Authorization", {"prefix": "Basic " + base64.b64encode(token.encode()).decode()})
        )
    headers = pattern.get("headers")
    if isinstance(headers, Mapping):
        found.extend(headers.items())
    return found


def _headers(
    patterns: list[tuple[str, Any]], request: Request, whole: Mapping[str, Any]
) -> Iterator[Row]:
    if not patterns:
        return
    for name, spec in patterns:
        key = name  # printed as the mapping spells it, on both sides
        actual = "\n".join(f"{key}: {value}" for value in request.header_map.get(name.lower(), ()))
        if "prefix" in spec:  # basic credentials
            holds = _holds({"basicAuthCredentials": whole["basicAuthCredentials"]}, request)
            printed = f"{key} [prefix] : {spec['prefix']}"
        else:
            holds = _holds({"headers": {name: spec}}, request)
            operator, expected = _operator(spec, "")
            printed = f"{key}{operator}{': ' + expected if expected else ''}"
        yield _row("Header", printed, actual, holds)
    yield _SPACER


def _path_params(pattern: Mapping[str, Any], request: Request) -> Iterator[Row]:
    template, params = pattern.get("urlPathTemplate"), pattern.get("pathParameters")
    if not isinstance(template, str) or not isinstance(params, Mapping) or not params:
        return
    found = compile_path(template).match(request.path) or {}
    for name in _TEMPLATE_NAMES.findall(template):
        spec = params.get(name)
        if spec is None:
            continue
        actual = str(found.get(name, ""))
        fragment = {"urlPathTemplate": template, "pathParameters": {name: spec}}
        operator, expected = _operator(spec, " = ", value=True)
        printed = f"Path parameter: {name}{operator}{expected}"
        yield _row("Path parameter", printed, actual, _holds(fragment, request))
    yield _SPACER


def _named_values(
    attribute: str,
    label: str,
    key: str,
    patterns: Any,
    values: Mapping[str, list[str]],
    request: Request,
) -> Iterator[Row]:
    if not isinstance(patterns, Mapping):
        return
    for name, spec in patterns.items():
        actual = "\n".join(f"{name}: {value}" for value in values.get(name, ()))
        operator, expected = _operator(spec, " = ")
        printed = f"{label}: {name}{operator}{expected}"
        yield _row(attribute, printed, actual, _holds({key: {name: spec}}, request))
    if patterns:
        yield _SPACER


def _query(pattern: Mapping[str, Any], request: Request) -> Iterator[Row]:
    given = pattern.get("queryParameters")
    yield from _named_values("Query", "Query", "queryParameters", given, request.query, request)


def _form(pattern: Mapping[str, Any], request: Request) -> Iterator[Row]:
    given = pattern.get("formParameters")
    if given is None:
        return
    fields = parse_qs(request.text, keep_blank_values=True)
    yield from _named_values("Form data", "Form", "formParameters", given, fields, request)


def _cookies(pattern: Mapping[str, Any], request: Request) -> Iterator[Row]:
    given = pattern.get("cookies")
    if not isinstance(given, Mapping):
        return
    for name, spec in given.items():
        actual = request.cookies.get(name, "")
        operator, expected = _operator(spec, "=", value=True)
        printed = f"Cookie: {name}{operator}{expected}"
        yield _row("Cookie", printed, actual, _holds({"cookies": {name: spec}}, request))
    if given:
        yield _SPACER


def _operator(spec: Any, default: str, value: bool = False) -> tuple[str, str]:
    """(operator text, expected text) for a value pattern, as WireMock prints them:
    nothing (``default``) for the equal-to kinds, `` [name] `` for the rest; the
    multi-value kinds print their sub-patterns instead of an expected value."""
    op = _op_name(spec)
    if op in _MULTI:
        return f" {_MULTI[op]} [{_described(spec[op], ' AND ')}]", ""
    operator = default if op in _EQUALS else f" [{op}] "
    return operator, _expected(spec, op, value)


def _op_name(spec: Any) -> str:
    if isinstance(spec, Mapping):
        for key in spec:
            if key not in ("caseInsensitive", "ignoreArrayOrder", "ignoreExtraElements"):
                return str(key)
    return ""


def _described(items: Any, joiner: str) -> str:
    specs = items if isinstance(items, list) else []
    return joiner.join(f"{_op_name(item)} {_expected(item, _op_name(item))}" for item in specs)


def _expected(spec: Any, op: str, value: bool = False) -> str:
    """A pattern's ``getExpected()`` (``getValue()`` with ``value``, where they differ)."""
    given = spec.get(op) if isinstance(spec, Mapping) else None
    match op:
        case "absent":
            return "null" if value else "(absent)"
        case "and" | "or":
            return _described(given, " AND " if op == "and" else " OR ")
        case "not":
            return _expected(given, _op_name(given), value)
        case "equalToJson" | "matchesJsonSchema":
            return _json_expected(given)
        case "equalToXml":
            return pretty_xml(str(given)) or str(given)
    if isinstance(given, str):
        return given
    return pretty_json(given) if isinstance(given, dict | list) else _scalar(given)


def _json_expected(given: Any) -> str:
    if isinstance(given, str):
        try:
            return pretty_json(load_json(given))
        except ValueError:
            return given
    return pretty_json(given)


def _scalar(given: Any) -> str:
    if isinstance(given, bool):
        return "true" if given else "false"
    return "null" if given is None else str(given)


def _bodies(patterns: Any, request: Request) -> Iterator[Row]:
    """Body lines; only the failing ones are printed."""
    if not isinstance(patterns, list):
        return
    for item in patterns:
        row, holds = _body(item, request)
        if not holds:
            yield row


def _body(item: Any, request: Request) -> tuple[Row, bool]:
    op = _op_name(item)
    shown = _formatted(op, request)
    if op in ("matchesJsonPath", "matchesXPath"):
        given = item[op]
        sub = (
            {k: v for k, v in given.items() if k != "expression"}
            if isinstance(given, Mapping)
            else {}
        )
        expression = given.get("expression", "") if isinstance(given, Mapping) else str(given)
        if sub:
            sub_op = _op_name(sub)
            printed = f"{expression} [{sub_op}] {_expected(sub, sub_op)}"
            selected = _selection(op, expression, item, request)
            if selected is not None:
                try:
                    holds = compile_value(value_spec(sub), "body").test((selected,))
                except (MappingError, ValueError):
                    holds = False
                return _row("Body", printed, selected, holds), holds
        else:
            printed = expression
        holds = _holds({"bodyPatterns": [item]}, request)
        return _row("Body", printed, shown, holds), holds
    if op == "binaryEqualTo":
        holds = _holds({"bodyPatterns": [item]}, request)
        return _row("Body", str(item[op]), _java_bytes(request.body), holds), holds
    printed = f"[{op}]\n{_expected(item, op)}"
    actual = "\n" + shown
    holds = _holds({"bodyPatterns": [item]}, _with_body(request, actual.encode()))
    return _row("Body", printed, actual, holds), holds


def _formatted(op: str, request: Request) -> str:
    """The body as WireMock shows it beside a pattern: pretty JSON beside
    ``equalToJson``, pretty XML beside ``equalToXml``, else as text."""
    if not request.body:
        return ""
    text = request.text
    if op == "equalToJson":
        try:
            return pretty_json(load_json(request.body))
        except ValueError:
            return text
    if op == "equalToXml":
        return pretty_xml(text) or text
    if op == "binaryEqualTo":
        return base64.b64encode(request.body).decode()
    return text


def _selection(op: str, expression: str, item: Any, request: Request) -> str | None:
    """What a JSONPath or XPath selects, as WireMock prints it; None when nothing is
    selected or the body cannot be read."""
    if not request.body:
        return None
    values = selected_values(op, expression, item, request)
    if not values:
        return None
    first = values[0]  # WireMock prints (and checks) the first value of a list
    if op == "matchesXPath" and first.startswith("<"):
        return pretty_xml(first) or first
    return first


def _java_bytes(body: bytes) -> str:
    """Java prints a ``byte[]`` as ``[B@`` and an identity hash; ours is a checksum."""
    return f"[B@{zlib.crc32(body):x}"


def _with_body(request: Request, body: bytes) -> Request:
    return Request(request.method, request.path, request.query_string, request.headers, body)


def _multipart(patterns: Any, request: Request) -> Iterator[Row]:
    if not isinstance(patterns, list) or not patterns:
        return
    parts = split_parts(request)
    for item in patterns:
        if parts is None:
            yield ("[Multipart request body]", "", "[Multipart request body] is not present")
            continue
        if _holds({"multipartPatterns": [item]}, request):
            continue
        name = item.get("name") if isinstance(item, Mapping) else None
        label = f"[Multipart{': ' + str(name) if name is not None else ''}]"
        for part in parts:
            part_name = _part_name(part)
            yield _SPACER
            yield (label, f"[{part_name}]", None)
            yield _SPACER
            headers = item.get("headers") or {}
            bodies = item.get("bodyPatterns") or []
            whole = {"headers": headers, "bodyPatterns": bodies}
            if not _holds(whole, part):
                yield from _headers(list(headers.items()), part, whole)
                yield from _bodies(bodies, part)
                yield _SPACER
            yield ("[/Multipart]", f"[/{part_name}]", None)
            yield _SPACER


def _part_name(part: Request) -> str:
    disposition = part.header("Content-Disposition") or ""
    found = re.search(r'name="([^"]*)"', disposition)
    return found.group(1) if found else ""
