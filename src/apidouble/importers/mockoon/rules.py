"""A response's rules -> native request conditions, as Mockoon's rules interpreter
(``ResponseRulesInterpreter``, ``@mockoon/commons-server`` 9.9) decides them.

A rule compares a request value with ``String(value) === rule.value`` (a list of values
holds when one does), or tests a JavaScript regex anywhere in it; ``invert`` negates.
Each rule becomes one native condition: a ``match`` matcher (query, headers, cookies,
body), a WireMock fragment key (``pathParameters`` for route params, ``url`` or
``urlPattern`` for the path), a ``match.template`` rendered per request
(``templating`` rules, ``global_var`` ones through ``getGlobalVar``, ``request_number``
ones through the route's count, see ``counting``), or a set of methods.
``rulesOperator: AND`` joins a response's rules into one endpoint's conditions; ``OR``
gives one endpoint per rule (native conditions all hold together). A rule decided at
load time (a header with no name, a method no request can have) holds always or never,
and is left out accordingly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apidouble.config.fields import HTTP_METHODS
from apidouble.importers.mockoon.jsregex import (
    exactly,
    js_test,
    not_exactly,
    not_searching,
    searching,
)
from apidouble.importers.mockoon.paths import RoutePath
from apidouble.importers.mockoon.responses import listed, objects

UNDEFINED: Any = object()
"""JavaScript's ``undefined``: a value the request does not have (JSON ``null`` is None)."""


class Unsupported(ValueError):
    """A rule that cannot be said with native conditions (yet); the message says why."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One native condition: ``kind`` is ``query``, ``headers``, ``cookies``, ``body``,
    ``methods``, ``pathParameters``, ``url`` (a WireMock ``url``/``urlPattern``) or
    ``template`` (a ``match.template`` matcher)."""

    kind: str
    key: str
    value: Any


@dataclass
class Rules:
    """What rules may read besides the request: the route's path, the data buckets."""

    path: RoutePath
    buckets: Mapping[str, Any] = field(default_factory=dict)
    """Data buckets whose value is plain JSON, by id and by name."""
    route: str = ""
    """The route's key in the server's request counts (``request_number`` rules)."""


def alternatives(response: Mapping[str, Any], ctx: Rules) -> list[list[Condition]]:
    """The response's rules as OR-ed lists of AND-ed conditions: [] never holds, [[]]
    always does. ``Unsupported`` when a rule of an AND cannot be converted; under OR
    such rules are left out (see ``left_out``)."""
    rules = objects(response.get("rules"))
    found: list[bool | Condition] = []
    if response.get("rulesOperator") == "AND":
        for rule in rules:
            found.append(condition(rule, ctx))
        if any(item is False for item in found):
            return []
        return [[item for item in found if isinstance(item, Condition)]]
    options: list[list[Condition]] = []
    for rule in rules:
        try:
            item = condition(rule, ctx)
        except Unsupported:
            continue  # the caller reports it (left_out)
        if item is True:
            return [[]]
        if isinstance(item, Condition):
            options.append([item])
    return options


def left_out(response: Mapping[str, Any], ctx: Rules) -> list[tuple[int, str]]:
    """The rules of an OR that ``alternatives`` leaves out, by index, with the reason."""
    found = []
    for index, rule in enumerate(listed(response.get("rules"))):
        try:
            condition(rule, ctx)
        except Unsupported as exc:
            found.append((index, str(exc)))
    return found


def condition(rule: Any, ctx: Rules) -> bool | Condition:
    """One rule as a native condition, or True/False when it is decided at load time."""
    if not isinstance(rule, dict) or not rule.get("target"):
        return False  # Mockoon: a rule without a target never holds
    target, operator = str(rule["target"]), str(rule.get("operator") or "equals")
    modifier = str(rule.get("modifier") or "")
    value = "" if rule.get("value") is None else str(rule["value"])
    invert = bool(rule.get("invert"))
    if target == "request_number":  # Mockoon reads no modifier here
        if "{{" in value:
            raise Unsupported("a rule whose value is a template: not yet")
        if operator not in _OPERATORS:
            raise Unsupported(f"unknown rule operator {operator!r}")
        return request_number(operator, modifier, value, invert, ctx.route)
    if target in ("templating", "global_var"):
        if "{{" in value:
            raise Unsupported("a rule whose value is a template: not yet")
        if operator not in _OPERATORS:
            raise Unsupported(f"unknown rule operator {operator!r}")
        return rendered(target, operator, modifier, value, invert)
    if "{{" in modifier or "{{" in value:
        raise Unsupported("a rule whose modifier or value is a template: not yet")
    if operator not in _OPERATORS:
        raise Unsupported(f"unknown rule operator {operator!r}")
    return _target(target, operator, modifier, value, invert, ctx)


_OPERATORS = (
    "equals",
    "regex",
    "regex_i",
    "null",
    "empty_array",
    "array_includes",
    "valid_json_schema",
)


def _target(
    target: str, operator: str, modifier: str, value: str, invert: bool, ctx: Rules
) -> bool | Condition:
    if target == "data_bucket":
        return _data_bucket(operator, modifier, value, invert, ctx)
    if operator == "valid_json_schema" and target != "body":
        raise Unsupported(f"valid_json_schema on target {target!r}: not yet")
    if target == "header":
        if not modifier:
            return evaluate(operator, value, "", modifier) != invert
        return _value("headers", modifier, operator, value, invert, strings=True)
    if target == "cookie":
        if not modifier:
            return invert
        return _value("cookies", modifier, operator, value, invert, strings=True)
    if target == "query":
        if not modifier:
            raise Unsupported("a query rule with no parameter name: not yet")
        return _value("query", _query_key(modifier), operator, value, invert, strings=False)
    if target == "params":
        return _params(operator, modifier, value, invert, ctx)
    if target == "method":
        return _methods(operator, modifier, value, invert)
    if target == "path":
        return _path(operator, modifier, value, invert)
    if target == "body":
        return _body(operator, modifier, value, invert, ctx)
    raise Unsupported(f"unknown rule target {target!r}")


def rendered(
    target: str, operator: str, modifier: str, value: str, invert: bool
) -> bool | Condition:
    """A ``templating`` rule (its modifier is a template, rendered per request) or a
    ``global_var`` one (the variable at the modifier's path, read per request by
    ``getGlobalVar``), as a ``match.template`` condition on the rendered text."""
    if target == "templating":
        source = modifier
        if "{{" not in source:  # known now: a text with no template renders as itself
            return evaluate(operator, value, source, "") != invert
    else:
        if "{{" in modifier:
            raise Unsupported("a global_var rule whose modifier is a template: not yet")
        if not modifier:
            return evaluate(operator, value, UNDEFINED, "") != invert
        source = _global_var(modifier)
    if operator in ("empty_array", "array_includes"):
        if target == "templating":
            return invert  # a rendered text is never a list
        raise Unsupported(f"operator {operator!r} on target 'global_var': not yet")
    if operator == "valid_json_schema":
        raise Unsupported(f"valid_json_schema on target {target!r}: not yet")
    matcher: dict[str, Any] = {"source": source, "templating": "mockoon"}
    if operator == "equals":
        matcher["equals"] = value
    elif operator in ("regex", "regex_i"):
        matcher["regex"] = _search(value, operator == "regex_i")
    else:  # null: nothing, null or "" (each renders as "")
        matcher["equals"] = ""
    if invert:
        matcher["not"] = True
    return Condition("template", "", matcher)


def request_number(
    operator: str, modifier: str, value: str, invert: bool, route: str
) -> bool | Condition:
    """A rule on the route's request number (1 for the first request it answers): the
    count the route's endpoints keep (``counting``), read per request."""
    if operator == "valid_json_schema":
        raise Unsupported("valid_json_schema on target 'request_number': not yet")
    if operator in ("null", "empty_array") or (operator == "array_includes" and modifier):
        return invert  # a number is never empty nor a list
    matcher: dict[str, Any] = {"source": number_source(route), "templating": "mockoon"}
    if operator in ("regex", "regex_i"):
        matcher["regex"] = _search(value, operator == "regex_i")
    else:  # equals, and array_includes without a modifier (Mockoon: equals)
        matcher["equals"] = value
    if invert:
        matcher["not"] = True
    return Condition("template", "", matcher)


def number_source(route: str) -> str:
    """The template that prints the route's request number."""
    return "{{routeRequestNumber " + json.dumps(route) + "}}"


def _global_var(modifier: str) -> str:
    """``getGlobalVar`` of a rule's path: the variable's name, then a path into it."""
    if modifier.startswith("$"):
        raise Unsupported("a global_var rule with a JSONPath modifier: not yet")
    parts = _path_parts(modifier)
    parts = parts.split(".") if isinstance(parts, str) else parts
    name, rest = parts[0], parts[1:]
    if any(char in part for part in parts for char in '."\\'):
        raise Unsupported(f"a global_var rule on {modifier!r} (a dot or quote in a key): not yet")
    quoted = [json.dumps(part) for part in (name, ".".join(rest))] if rest else [json.dumps(name)]
    return "{{getGlobalVar " + " ".join(quoted) + "}}"


def _value(
    kind: str, key: str, operator: str, value: str, invert: bool, strings: bool
) -> bool | Condition:
    """A query parameter, header or cookie. ``strings``: the value is never a list (a
    header, a cookie), so ``empty_array`` and ``array_includes`` never hold."""
    matcher: dict[str, Any]
    if operator == "equals":
        matcher = {"equals": value}
    elif operator in ("regex", "regex_i"):
        matcher = {"regex": _search(value, operator == "regex_i")}
    elif operator == "null":
        matcher, invert = {"regex": r"[\s\S]+"}, not invert
    elif operator == "empty_array":
        return invert
    elif operator == "array_includes":
        if strings:
            return invert
        matcher = {"equals": value}  # any of the parameter's values (Mockoon: a list's)
    else:
        raise Unsupported(f"operator {operator!r} on {kind}: not yet")
    if invert:
        matcher["not"] = True
    return Condition(kind, key, matcher)


def _query_key(modifier: str) -> str:
    """A query rule's path as the parameter's name: ``a.b`` is ``a[b]`` (Express's
    ``qs`` reads nested parameters from brackets)."""
    parts = _path_parts(modifier)
    if isinstance(parts, str):
        parts = parts.split(".")
    return parts[0] + "".join(f"[{part}]" for part in parts[1:])


def _params(operator: str, name: str, value: str, invert: bool, ctx: Rules) -> bool | Condition:
    if not name or name not in ctx.path.params:
        return evaluate(operator, value, UNDEFINED, name) != invert
    if ctx.path.path is None:
        raise Unsupported("a params rule on a route whose path needs a regex: not yet")
    pattern: dict[str, Any]
    if operator == "equals" or operator == "array_includes":
        pattern = {"equalTo": value}
    elif operator in ("regex", "regex_i"):
        pattern = {"matches": _search(value, operator == "regex_i")}
    elif operator == "null":
        return invert  # a parameter of the path is never empty
    elif operator == "empty_array":
        return invert
    else:
        raise Unsupported(f"operator {operator!r} on params: not yet")
    if invert:
        pattern = {"not": pattern}
    return Condition("pathParameters", name, pattern)


def _methods(operator: str, modifier: str, value: str, invert: bool) -> bool | Condition:
    """The methods (Mockoon compares them in lower case) for which the rule holds."""
    names = [
        name for name in HTTP_METHODS if evaluate(operator, value, name.lower(), modifier) != invert
    ]
    if len(names) == len(HTTP_METHODS):
        return True
    if not names:
        return False
    return Condition("methods", "", tuple(names))


def _path(operator: str, modifier: str, value: str, invert: bool) -> bool | Condition:
    """Mockoon's path target is ``[originalUrl, '*']``: the URL as sent (with its query
    string), and the catch-all route's own path."""
    if evaluate(operator, value, "*", modifier):
        return not invert
    if operator in ("equals", "array_includes"):
        return Condition("url", "", not_exactly(value) if invert else exactly(value))
    if operator in ("regex", "regex_i"):
        fold = operator == "regex_i"
        pattern = not_searching(value, fold) if invert else _search(value, fold)
        return Condition("url", "", pattern)
    return invert  # null, empty_array: a list of two strings is neither


def _body(operator: str, modifier: str, value: str, invert: bool, ctx: Rules) -> Condition:
    if not modifier:
        return _whole_body(operator, value, invert, ctx)
    path = jsonpath(modifier)
    matcher: dict[str, Any]
    if operator == "equals":
        matcher = {"jsonpath": path, "equals": value}
    elif operator in ("regex", "regex_i"):
        matcher = {"jsonpath": path, "regex": _search(value, operator == "regex_i")}
    elif operator == "null":
        matcher, invert = {"jsonpath": path, "regex": r"(?!null\Z)[\s\S]+"}, not invert
    elif operator == "empty_array":
        matcher = {"jsonpath": path, "equals": "[]"}
    elif operator == "array_includes":
        matcher = {"jsonpath": f"{path}[*]", "equals": value}
    else:
        raise Unsupported("valid_json_schema on a part of the body: not yet")
    if invert:
        matcher["not"] = True
    return Condition("body", "", matcher)


def _whole_body(operator: str, value: str, invert: bool, ctx: Rules) -> Condition:
    """Rules on the body with no path: the text for equals and regexes, the parsed body
    for the other operators."""
    matcher: dict[str, Any]
    if operator == "equals":
        matcher = {"regex": not_exactly(value) if invert else exactly(value)}
    elif operator in ("regex", "regex_i"):
        fold = operator == "regex_i"
        matcher = {"regex": not_searching(value, fold) if invert else _search(value, fold)}
    elif operator == "null":
        matcher = {"regex": r"[\s\S]+" if invert else ""}
    elif operator == "empty_array":
        matcher = {"jsonpath": "$", "equals": "[]", **({"not": True} if invert else {})}
    elif operator == "array_includes":
        matcher = {"jsonpath": "$[*]", "equals": value, **({"not": True} if invert else {})}
    else:
        if invert:
            raise Unsupported("an inverted valid_json_schema rule: not yet")
        matcher = {"schema": _schema(value, ctx)}
    return Condition("body", "", matcher)


def _schema(name: str, ctx: Rules) -> Any:
    """The JSON Schema a ``valid_json_schema`` rule names: a data bucket (or a path into
    one), which must hold plain JSON."""
    parts = _path_parts(name)
    parts = parts.split(".") if isinstance(parts, str) else parts
    if parts[0] not in ctx.buckets:
        raise Unsupported(f"valid_json_schema: no data bucket {parts[0]!r} of plain JSON")
    found = _lookup(ctx.buckets[parts[0]], parts[1:])
    if not isinstance(found, dict):
        raise Unsupported(f"valid_json_schema: {name!r} is not a JSON Schema object")
    return found


def _data_bucket(operator: str, modifier: str, value: str, invert: bool, ctx: Rules) -> bool:
    """A rule on a data bucket reads a value known at load time (while nothing writes
    to buckets: ``setData`` is not there yet)."""
    if not modifier:
        return evaluate(operator, value, UNDEFINED, modifier) != invert
    parts = _path_parts(modifier)
    parts = parts.split(".") if isinstance(parts, str) else parts
    if parts[0] not in ctx.buckets:
        raise Unsupported(f"a data_bucket rule on {parts[0]!r}, not a bucket of plain JSON")
    if operator == "valid_json_schema":
        raise Unsupported("valid_json_schema on a data bucket: not yet")
    found = _lookup(ctx.buckets[parts[0]], parts[1:])
    return evaluate(operator, value, found, modifier) != invert


def _search(value: str, ignore_case: bool) -> str:
    try:
        return searching(value, ignore_case)
    except ValueError as exc:
        raise Unsupported(str(exc)) from None


def evaluate(operator: str, value: str, target: Any, modifier: str = "") -> bool:
    """``isValidRule`` on a value known now (``UNDEFINED`` for a missing one)."""
    if operator == "null":
        return target is UNDEFINED or target is None or target == ""
    if operator == "empty_array":
        return isinstance(target, list) and not target
    if target is UNDEFINED:
        return False
    if target is None:
        target = ""
    if operator == "valid_json_schema":
        return False
    if operator == "array_includes" and modifier:
        return isinstance(target, list) and any(js_string(item) == value for item in target)
    if operator in ("regex", "regex_i"):
        fold = operator == "regex_i"
        try:
            if isinstance(target, list):
                return any(js_test(value, js_string(item), fold) for item in target)
            return js_test(value, js_string(target), fold)
        except re.error as exc:
            raise Unsupported(f"regular expression {value!r} does not compile: {exc}") from None
    if isinstance(target, list):
        return value in [js_string(item) for item in target]
    return js_string(target) == value


def js_string(value: Any) -> str:
    """JavaScript's ``String(value)``."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    return str(value)


def jsonpath(modifier: str) -> str:
    """A rule's path (``a.b.0``, ``\\.`` for a dot in a key, or a JSONPath ``$...``) as a
    JSONPath expression."""
    if modifier.startswith("$"):
        return modifier
    parts = _path_parts(modifier)
    parts = parts.split(".") if isinstance(parts, str) else parts
    out = "$"
    for part in parts:
        if part.isdigit():
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part).replace('"', "'") + "]"
    return out


def _path_parts(path: str) -> str | list[str]:
    """``convertPathToArray``: a list when the path escapes dots, else the text."""
    if "\\." in path:
        return [part.replace("%#%", ".") for part in path.replace("\\.", "%#%").split(".")]
    return path


def _lookup(value: Any, parts: Sequence[str]) -> Any:
    """``object-path``'s ``get``: keys of objects, indexes of lists."""
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return UNDEFINED
    return value
