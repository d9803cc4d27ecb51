"""Mockoon's text and array helpers: ``includes``, ``len``, ``concat``, ``join``,
``split``, ``lowercase``/``uppercase``, ``padStart``/``padEnd``, ``substr``, ``replace``,
``indexOf``, and ``filter``, ``find``, ``sort``, ``sortBy``, ``slice``, ``reverse``."""

from __future__ import annotations

import functools
from typing import Any

from .helpers_mockoon_logic import js_number
from .helpers_mockoon_request import js_text
from .registry import Helper, arg
from .request import Root

__all__ = ["TEXT_HELPERS", "parse_int"]

P = tuple[Any, ...]
H = dict[str, Any]
MAX_PAD = 100_000
"""Longest string ``padStart``/``padEnd`` build: a request must not exhaust memory."""


def _str(value: Any) -> str:
    """``String(value)`` for the scalars; objects read as ``''`` (Mockoon's guard)."""
    if value is None or isinstance(value, dict | list):
        return ""
    return js_text(value)


def _concat(p: P, h: H, r: Root) -> Any:
    if p and isinstance(p[0], list):
        joined: list[Any] = []
        for value in p:
            joined.extend(value if isinstance(value, list) else [value])
        return joined
    return "".join(js_text(value) if value is not None else "undefined" for value in p)


def _join(p: P, h: H, r: Root) -> Any:
    items = arg(p, 0)
    if not isinstance(items, list):
        return items
    sep = arg(p, 1)
    return (sep if isinstance(sep, str) else ", ").join(_str(item) for item in items)


def _split(p: P, h: H, r: Root) -> Any:
    if not p:
        return ""
    source, sep = p[0], arg(p, 1)
    if not isinstance(source, str) or not source:
        return ""
    return source.split(sep if isinstance(sep, str) and sep else " ")


def _pad(start: bool) -> Any:
    def run(p: P, h: H, r: Root) -> str:
        if not p:
            return ""
        value = js_text(p[0])
        width = js_number(arg(p, 1, 0))
        fill = js_text(p[2]) if len(p) == 3 else " "
        size = 0 if width != width else min(MAX_PAD, int(width))
        if size <= len(value) or not fill:
            return value
        padding = (fill * (size // len(fill) + 1))[: size - len(value)]
        return padding + value if start else value + padding

    return run


def _substr(p: P, h: H, r: Root) -> str:
    source = _str(arg(p, 0))
    start = int(js_number(arg(p, 1, 0)) or 0)
    if start < 0:
        start = max(0, len(source) + start)
    if len(p) >= 3 and p[2] is not None:
        return source[start : start + max(0, int(js_number(p[2]) or 0))]
    return source[start:]


def _replace(everywhere: bool) -> Any:
    def run(p: P, h: H, r: Root) -> str:
        if len(p) < 3 or not all(isinstance(v, str) for v in p[:3]):
            return ""
        source, search, replacement = p[0], p[1], p[2]
        if not search:
            return str(source)
        return str(source).replace(str(search), str(replacement), -1 if everywhere else 1)

    return run


def _index_of(p: P, h: H, r: Root) -> int:
    source, search = _str(arg(p, 0)), _str(arg(p, 1))
    start = arg(p, 2)
    offset = int(js_number(start)) if start is not None and not isinstance(start, dict) else 0
    return source.find(search, max(0, offset))


def _matches(item: Any, condition: Any) -> bool:
    if isinstance(condition, dict):
        pairs = condition.items()
        return isinstance(item, dict) and all(_matches(item.get(k), v) for k, v in pairs)
    return type(item) is type(condition) and bool(item == condition)


def _any(item: Any, conditions: list[Any]) -> bool:
    return any(_all(item, c) if isinstance(c, list) else _matches(item, c) for c in conditions)


def _all(item: Any, conditions: list[Any]) -> bool:
    return all(_any(item, c) if isinstance(c, list) else _matches(item, c) for c in conditions)


def _filter(p: P, h: H, r: Root) -> Any:
    if not p or not isinstance(p[0], list):
        return ""
    items, conditions = p[0], list(p[1:])
    if not items or not conditions:
        return items
    return [item for item in items if _any(item, conditions)]


def _find(p: P, h: H, r: Root) -> Any:
    if not p or not isinstance(p[0], list):
        return ""
    conditions = list(p[1:])
    return next((item for item in p[0] if conditions and _any(item, conditions)), None)


def _order(values: list[Any], key: Any = None) -> list[Any]:
    def pick(value: Any) -> Any:
        return value[key] if key is not None else value

    if values and isinstance(pick(values[0]), str):
        return sorted(values, key=lambda v: str(pick(v)).casefold())

    def numeric(a: Any, b: Any) -> int:
        left, right = js_number(pick(a)), js_number(pick(b))
        return (left > right) - (left < right)

    return sorted(values, key=functools.cmp_to_key(numeric))


def _sort(p: P, h: H, r: Root) -> Any:
    items = arg(p, 0)
    if not isinstance(items, list):
        return ""
    if not items or isinstance(items[0], dict | list):
        return items
    ordered = _order(items)
    return ordered[::-1] if str(arg(p, 1, "asc")).lower() == "desc" else ordered


def _sort_by(p: P, h: H, r: Root) -> Any:
    items, key = arg(p, 0), arg(p, 1)
    if not isinstance(items, list):
        return ""
    if not items or not isinstance(items[0], dict) or not key or not items[0].get(key):
        return items
    try:
        ordered = _order(items, key)
    except (KeyError, TypeError):
        return items
    return ordered[::-1] if str(arg(p, 2, "asc")).lower() == "desc" else ordered


def _slice(p: P, h: H, r: Root) -> Any:
    items = arg(p, 0)
    if not isinstance(items, list):
        return ""
    start = int(js_number(arg(p, 1, 0)) or 0)
    end = arg(p, 2)
    return items[start : int(end)] if isinstance(end, int | float) else items[start:]


def _includes(p: P, h: H, r: Root) -> bool:
    return _str(arg(p, 1)) in _str(arg(p, 0))


def _len(p: P, h: H, r: Root) -> int:
    value = arg(p, 0)
    return len(value) if isinstance(value, str | list) else 0


def _case(fn: Any) -> Any:
    def run(p: P, h: H, r: Root) -> str:
        return fn(js_text(p[0])) if p and isinstance(p[0], str) else ""

    return run


TEXT_HELPERS = {
    "includes": Helper(_includes),
    "len": Helper(_len),
    "concat": Helper(_concat),
    "join": Helper(_join),
    "split": Helper(_split),
    "lowercase": Helper(_case(str.lower)),
    "uppercase": Helper(_case(str.upper)),
    "padStart": Helper(_pad(True)),
    "padEnd": Helper(_pad(False)),
    "substr": Helper(_substr),
    "replace": Helper(_replace(False)),
    "replaceAll": Helper(_replace(True)),
    "indexOf": Helper(_index_of),
    "filter": Helper(_filter),
    "find": Helper(_find),
    "sort": Helper(_sort),
    "sortBy": Helper(_sort_by),
    "slice": Helper(_slice),
    "reverse": Helper(lambda p, h, r: arg(p, 0)[::-1] if isinstance(arg(p, 0), list) else ""),
    "parseInt": Helper(lambda p, h, r: parse_int(arg(p, 0))),
    "newline": Helper(lambda p, h, r: "\n"),
}


def parse_int(value: Any) -> Any:
    """JavaScript's ``parseInt(value, 10)``, ``''`` where it gives NaN."""
    source = _str(value).strip()
    digits = ""
    for index, char in enumerate(source):
        if char.isdigit() or (index == 0 and char in "+-"):
            digits += char
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return ""
