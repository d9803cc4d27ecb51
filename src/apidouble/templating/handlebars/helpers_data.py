"""JSON, XML and form helpers: ``jsonPath``, ``parseJson``, ``toJson``, ``formatJson``,
``jsonMerge``, ``jsonArrayAdd``, ``jsonRemove``, ``formData``, and (from ``helpers_xml``)
``xPath``, ``soapXPath``. As blocks, ``parseJson``, ``formatJson``, ``jsonMerge`` and
``jsonArrayAdd`` read their JSON (the document, the one to merge, the item to add) from
the body, as WireMock does."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from .helpers_xml import XML_HELPERS
from .registry import BODY, Helper, arg, opt_bool
from .request import Root
from .values import JavaMap, JsonList, JsonMap, ListOrSingle, pretty_json, text

__all__ = ["DATA_HELPERS"]

P = tuple[Any, ...]
H = dict[str, Any]
_INDEFINITE = re.compile(r"\*|\.\.|\?\(|\[[^\]]*[,:][^\]]*\]")


@lru_cache(maxsize=256)
def _compiled(expression: str) -> Any:
    import jsonpath as jsonpath_module  # here: only templates that use it pay its import

    try:
        return jsonpath_module.compile(expression)
    except jsonpath_module.JSONPathError as exc:
        raise ValueError(f"jsonPath {expression!r}: {exc}") from exc


def _document(value: Any, root: Root | None = None) -> Any:
    if isinstance(value, dict | list):
        return value
    source = text(value)
    if root is not None and source in root.parsed:
        return root.parsed[source]
    document = json.loads(source) if source.strip() else None
    if root is not None:
        root.parsed[source] = document
    return document


_SIMPLE = re.compile(r"\$(?:\.[A-Za-z_][\w-]*|\[\d+\]|\['[^'\\]*'\])*")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^'\\]*)'\]")


@lru_cache(maxsize=256)
def _simple_steps(expression: str) -> tuple[str | int, ...] | None:
    """``$.a.b[0]['c']`` as keys to walk (no JSONPath engine needed), else None."""
    if not _SIMPLE.fullmatch(expression):
        return None
    steps: list[str | int] = []
    for name, index, quoted in _STEP.findall(expression[1:]):
        steps.append(int(index) if index else (name or quoted))
    return tuple(steps)


def _walk(document: Any, steps: tuple[str | int, ...]) -> Any:
    for step in steps:
        if isinstance(step, int) and isinstance(document, list) and step < len(document):
            document = document[step]
        elif isinstance(step, str) and isinstance(document, dict) and step in document:
            document = document[step]
        else:
            return None
    return document


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return JsonMap(value)
    if isinstance(value, list):
        return JsonList(value)
    return value


def _json_path(p: P, h: H, r: Root) -> Any:
    expression = text(arg(p, 1))
    document = _document(arg(p, 0), r)
    length = expression.endswith(".length()")
    if length:
        expression = expression[: -len(".length()")]
    steps = _simple_steps(expression)
    if steps is not None:
        result: Any = _walk(document, steps)
    else:
        found = _compiled(expression).findall(document) if document is not None else []
        indefinite = _INDEFINITE.search(expression)
        result = found if indefinite else found[0] if found else None
    if length:
        return len(result) if isinstance(result, list | dict) else None
    if result is None:
        return h.get("default")
    return _wrap(result)


def _parse_json(p: P, h: H, r: Root) -> Any:
    block = BODY in h  # {{#parseJson 'name'}}json{{/parseJson}}
    value = _document(h[BODY] if block else arg(p, 0))
    if value is None:  # an empty body parses as an empty object in WireMock
        value = {}
    name = arg(p, 0 if block else 1)
    if name is not None:
        r[text(name)] = value
        return ""
    return value


def _to_json(p: P, h: H, r: Root) -> Any:
    value = arg(p, 0)
    if isinstance(value, ListOrSingle):
        value = list(value)
    return pretty_json(value)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _format_json(p: P, h: H, r: Root) -> Any:
    source = h[BODY] if BODY in h else arg(p, 0)
    if BODY in h and not text(source).strip():
        return (
            "[ERROR: formatJson should take a block of JSON to format or a single"
            " parameter of type String]"
        )
    value = _document(source)
    if text(h.get("format", "pretty")) == "compact":
        return _compact(value)
    return pretty_json(value)


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    return extra


class _NotJson(ValueError):
    """A helper argument that is not JSON: WireMock prints ``[ERROR: ...]``."""


def _json_arg(value: Any, what: str) -> Any:
    try:
        return _document(value)
    except ValueError:  # json.JSONDecodeError
        raise _NotJson(f"[ERROR: {what} is not valid JSON ('{text(value)}')]") from None


def _json_merge(p: P, h: H, r: Root) -> Any:
    try:
        base = _json_arg(arg(p, 0), "Base JSON")
        extra = _json_arg(h[BODY] if BODY in h else arg(p, 1), "JSON to merge")
    except _NotJson as refused:
        return str(refused)
    return _compact(_merge(base, extra))


def _json_array_add(p: P, h: H, r: Root) -> Any:
    try:
        items = _json_arg(arg(p, 0), "Base JSON")
        item = _json_arg(h[BODY] if BODY in h else arg(p, 1), "Item-to-add JSON")
    except _NotJson as refused:
        return str(refused)
    if not isinstance(items, list):
        return f"[ERROR: Target JSON is not a JSON array ('{text(arg(p, 0))}')]"
    items = list(items)
    if opt_bool(h.get("flatten", False)) and isinstance(item, list):
        items.extend(item)
    else:
        items.append(item)
    if "maxItems" in h:
        items = items[: int(h["maxItems"])]
    return _compact(items)


def _json_remove(p: P, h: H, r: Root) -> Any:
    if len(p) != 2:
        return "[ERROR: A single JSONPath expression parameter must be supplied]"
    document = copy.deepcopy(_document(arg(p, 0)))
    matches = list(_compiled(text(arg(p, 1))).finditer(document))
    for match in reversed(matches):
        parts = match.parts
        if not parts:
            continue
        parent = document
        for part in parts[:-1]:
            parent = parent[part]
        last = parts[-1]
        if isinstance(parent, list):
            del parent[int(last)]
        elif isinstance(parent, dict):
            parent.pop(last, None)
    return _compact(document)


def _form_data(p: P, h: H, r: Root) -> Any:
    decode = opt_bool(h.get("urlDecode", False))
    fields: dict[str, list[str]] = {}
    for pair in text(arg(p, 0)).split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if decode:
            name, value = unquote_plus(name), unquote_plus(value)
        fields.setdefault(name, []).append(value)
    form = JavaMap((name, ListOrSingle(values)) for name, values in fields.items())
    name = arg(p, 1)
    if name is None:
        return form
    r[text(name)] = form
    return ""


DATA_HELPERS: dict[str, Helper] = {
    "jsonPath": Helper(_json_path),
    "parseJson": Helper(_parse_json, block="capture"),
    "toJson": Helper(_to_json),
    "formatJson": Helper(_format_json, block="capture"),
    "jsonMerge": Helper(_json_merge, block="capture"),
    "jsonArrayAdd": Helper(_json_array_add, block="capture"),
    "jsonRemove": Helper(_json_remove),
    "formData": Helper(_form_data),
    **XML_HELPERS,
}
