"""How Handlebars.java (as WireMock runs it) prints, tests, compares and looks up values.

WireMock output is Java's ``toString``: ``true``, ``[a, b]`` for a list, ``{a=1, b=x}`` for
a map (in ``java.util.HashMap`` order), ``2.5``; ``null`` prints nothing. A ``jsonPath``
result prints as JSON instead (compact for a list, Jackson's pretty form for an object),
which ``JsonList`` and ``JsonMap`` carry. Nothing here HTML-escapes: WireMock 3 does not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "JsonList",
    "JsonMap",
    "ListOrSingle",
    "Opaque",
    "java_equals",
    "java_order",
    "js_printed",
    "lookup",
    "pretty_json",
    "text",
    "truthy",
]


class ListOrSingle(list[Any]):
    """WireMock's multi-value (a query parameter, a header): prints and compares as an
    object, reads as its first value, indexes as a list (``.[1]``, ``.first``, ``.last``)."""

    def __str__(self) -> str:
        return text(self[0]) if self else ""


class Opaque(str):
    """A Java object that prints as this text but equals no string (``request.method`` is
    an enum: ``{{#eq request.method 'POST'}}`` is false in WireMock)."""

    __slots__ = ()


class JsonList(list[Any]):
    """A list ``jsonPath`` selected: prints as compact JSON."""


class JsonMap(dict[str, Any]):
    """An object ``jsonPath`` selected: prints as pretty JSON."""


class JavaMap(dict[str, Any]):
    """A map that prints and iterates in ``java.util.HashMap`` order (request parts)."""

    def __iter__(self) -> Iterator[str]:
        return iter(java_order(list(dict.keys(self))))

    def ordered(self) -> list[tuple[str, Any]]:
        return [(key, dict.__getitem__(self, key)) for key in self]


def _java_hash(key: str) -> int:
    h = 0
    for unit in key.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h


def java_order(keys: list[str]) -> list[str]:
    """The order a ``HashMap`` filled with ``keys`` (in this order) iterates them."""
    capacity = 16
    while len(keys) > capacity * 0.75:
        capacity *= 2
    buckets: dict[int, list[str]] = {}
    for key in keys:
        h = _java_hash(key)
        spread = (h ^ (h >> 16)) & (capacity - 1)
        buckets.setdefault(spread, []).append(key)
    return [key for index in sorted(buckets) for key in buckets[index]]


def _java_double(value: float) -> str:
    """``Double.toString``: plain between 10^-3 and 10^7, else ``1.5E-5`` form."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    shown = "".join(map(str, digits))
    mantissa = f"{shown[0]}.{shown[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{len(shown) - 1 + exponent}"


def js_printed(value: Any) -> str:
    """``value`` as Handlebars.js prints it (``String(value)``) where that differs from
    ``text``: an array is its items' texts joined with commas (``null`` as nothing,
    nested arrays flattened, an object as ``[object Object]``), as ``Array.toString``."""
    if isinstance(value, list) and not isinstance(value, JsonList):
        return ",".join(_js_item(item) for item in value)
    return text(value)


def _js_item(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, list):
        return js_printed(item)
    if isinstance(item, dict):
        return "[object Object]"
    if isinstance(item, float) and item.is_integer():
        return str(int(item))
    return text(item)


def text(value: Any) -> str:
    """``value`` as WireMock prints it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        shown = value.replace(microsecond=0).isoformat()
        return shown[:-6] + "Z" if shown.endswith("+00:00") else shown
    if isinstance(value, JsonList):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    if isinstance(value, JsonMap):
        return pretty_json(value)
    if isinstance(value, ListOrSingle):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(text(item) for item in value) + "]"
    if isinstance(value, JavaMap):
        return "{" + ", ".join(f"{k}={text(v)}" for k, v in value.ordered()) + "}"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={text(v)}" for k, v in value.items()) + "}"
    return str(value)


def pretty_json(value: Any, indent: str = "") -> str:
    """Jackson's default pretty printer: objects one field a line, arrays on one line."""
    inner = indent + "  "
    if isinstance(value, Mapping):
        if not value:
            return "{ }"
        fields = [
            f"{inner}{json.dumps(str(k))} : {pretty_json(v, inner)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(fields) + "\n" + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(pretty_json(v, indent) for v in value) + " ]"
    return json.dumps(value, ensure_ascii=False, default=str)


def truthy(value: Any) -> bool:
    """Handlebars.java's emptiness: null, false, 0, "" and an empty list are false."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value) or isinstance(value, Opaque)
    if isinstance(value, int | float | Decimal):
        return bool(value)
    if isinstance(value, list | tuple):
        return bool(value)
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def java_equals(left: Any, right: Any) -> bool:
    """``eq``'s test: numbers by value, otherwise same kind and equal (so a multi-value
    or an enum never equals a string)."""
    if _number(left) and _number(right):
        return bool(Decimal(str(left)) == Decimal(str(right)))
    if type(left) is not type(right):
        if isinstance(left, dict) and isinstance(right, dict):
            return dict(left) == dict(right)
        if (
            isinstance(left, list)
            and isinstance(right, list)
            and not (isinstance(left, ListOrSingle) or isinstance(right, ListOrSingle))
        ):
            return list(left) == list(right)
        return False
    return bool(left == right)


class Lookup:
    """Something with its own path segments (the request model's parts)."""

    def hb_get(self, key: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


def lookup(value: Any, key: str) -> Any:
    """One path segment of ``value``; None when there is none."""
    if isinstance(value, Lookup):
        return value.hb_get(key)
    if isinstance(value, dict):
        return dict.get(value, key)
    if isinstance(value, list | tuple):
        if key.isdigit():
            index = int(key)
            return value[index] if index < len(value) else None
        if isinstance(value, ListOrSingle):
            if key == "first":
                return value[0] if value else None
            if key == "last":
                return value[-1] if value else None
        if key == "length":
            return len(value)
        return None
    if isinstance(value, datetime):
        return None
    return None


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    if value is None:
        return []
    if isinstance(value, Lookup):
        value = value.hb_get("")
    if isinstance(value, JavaMap):
        return value.ordered()
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    if isinstance(value, str):
        return [(0, value)] if value else []
    return [(0, value)] if truthy(value) else []


def items(value: Any) -> list[tuple[Any, Any, int, str, str]]:
    """What ``{{#each}}`` walks: (key, item, @index, @first, @last) for each entry of a
    map or a list. ``@first`` is ``"first"`` or ``""`` (``@last`` likewise), as
    Handlebars.java prints them."""
    pairs = _pairs(value)
    last = len(pairs) - 1
    return [
        (key, item, i, "first" if i == 0 else "", "last" if i == last else "")
        for i, (key, item) in enumerate(pairs)
    ]
