"""The read side of json-server 0.17's collections: filters, full text, sort and slices.

json-server runs on JavaScript and lodash, and its query conventions inherit their
semantics: every query value is a string compared with ``toString()`` of the field,
ranges use JavaScript's ``<=`` (strings against strings compare by code units, anything
else as numbers), ``_sort`` is lodash's ``orderBy`` (``null`` after values, missing
fields last), and ``_start``/``_end``/``_limit``/``_page`` go through ``parseInt``. The
helpers here reproduce exactly those rules, so a json-server user gets the same rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import cmp_to_key
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "undefined"})()
"""JavaScript's ``undefined``: a field that is not there (``None`` is ``null``)."""

Query = dict[str, list[str]]
OBJECT_VALUE = "\x00[object Object]"
"""A query value ``qs`` made an object of: it equals no field (fields are JSON text)."""
Headers = list[tuple[str, str]]

RESERVED = ("q", "_start", "_end", "_sort", "_order", "_limit", "_embed", "_expand")
"""The keys json-server removes before filtering (``_page`` is not among them)."""

_OPERATORS = ("_lte", "_gte", "_ne", "_like")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RADIX = re.compile(r"0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+")
_INT_PREFIX = re.compile(r"[+-]?\d+")
_PATH_PART = re.compile(r"[^.[\]]+|\[(?:(-?\d+)|([\"'])(.*?)\2)\]")


class ScriptError(Exception):
    """Where json-server's JavaScript would throw: it answers 500 with the error's text."""


def qs_query(query: Query) -> Query:
    """The query as Express's ``qs`` parser shapes it: ``a[]=1`` and ``a[0]=1`` add to ``a``.

    ``a[b]=1`` makes ``a`` an object, which equals no field's text (``OBJECT_VALUE``).
    """
    if not any("[" in key for key in query):
        return query
    shaped: Query = {}
    for key, values in query.items():
        opening = key.find("[")
        if opening <= 0 or not key.endswith("]"):
            shaped.setdefault(key, []).extend(values)
            continue
        base, inner = key[:opening], key[opening + 1 : key.index("]")]
        if inner == "" or inner.isdigit():
            shaped.setdefault(base, []).extend(values)
        else:
            shaped[base] = [OBJECT_VALUE]
    return shaped


def js_str(value: Any) -> str:
    """``String(value)`` (``toString()``) for a JSON value."""
    if value is None:
        return "null"
    if value is MISSING:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_float(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_str(item) for item in value)
    return "[object Object]"


def _js_float(value: float) -> str:
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def truthy(value: Any) -> bool:
    """JavaScript truthiness (``[]`` and ``{}`` are true, ``0`` and ``""`` are not)."""
    if value is None or value is MISSING or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _to_number(value: Any) -> float:
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if value is MISSING:
        return math.nan
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text == "":
        return 0.0
    if _NUMBER.fullmatch(text):
        return float(text)
    if _RADIX.fullmatch(text):
        return float(int(text, 0))
    if text.lstrip("+-") == "Infinity":
        return -math.inf if text.startswith("-") else math.inf
    return math.nan


def _primitive(value: Any) -> Any:
    return js_str(value) if isinstance(value, list | dict) else value


def js_compare(left: Any, right: Any) -> int | None:
    """JavaScript's abstract relational comparison: -1, 0, 1, or None when unordered (NaN)."""
    left, right = _primitive(left), _primitive(right)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    a, b = _to_number(left), _to_number(right)
    if a != a or b != b:
        return None
    return (a > b) - (a < b)


def parse_int(values: Sequence[str]) -> int | None:
    """``parseInt(String(value), 10)`` of a query value (a repeated key joins with commas)."""
    match = _INT_PREFIX.match(",".join(values).lstrip())
    return int(match.group()) if match else None


def _strict_equal(left: Any, right: Any) -> bool:
    if left is right:
        return True
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, numbers) and isinstance(right, numbers):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return False


def path_parts(path: str) -> list[str]:
    """lodash's ``stringToPath``: ``a.b[0]`` -> ``["a", "b", "0"]``."""
    parts: list[str] = []
    for match in _PATH_PART.finditer(path):
        index, _quote, quoted = match.groups()
        parts.append(
            index if index is not None else quoted if quoted is not None else match.group()
        )
    return parts


def get_path(document: Any, path: str) -> Any:
    """lodash's ``_.get``: a direct key first, then a dotted or bracketed path."""
    if isinstance(document, dict) and path in document:
        return document[path]
    current = document
    for part in path_parts(path):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def _has_path(document: Any, path: str) -> bool:
    return isinstance(document, dict | list) and get_path(document, path) is not MISSING


def compare_ascending(value: Any, other: Any) -> int:
    """lodash's ``compareAscending``: the order ``orderBy`` sorts by."""
    if _strict_equal(value, other):
        return 0
    value_defined, other_defined = value is not MISSING, other is not MISSING
    if (
        (other is not None and js_compare(value, other) == 1)
        or (value is None and other_defined)
        or not value_defined
    ):
        return 1
    if (
        (value is not None and js_compare(value, other) == -1)
        or (other is None and value_defined)
        or not other_defined
    ):
        return -1
    return 0


def order_by(rows: list[Any], fields: list[str], orders: list[str]) -> list[Any]:
    """lodash's ``orderBy`` (stable; ``desc`` reverses a field, anything else ascends)."""

    def compare(left: tuple[int, list[Any]], right: tuple[int, list[Any]]) -> int:
        for index, (a, b) in enumerate(zip(left[1], right[1], strict=True)):
            result = compare_ascending(a, b)
            if result:
                if index >= len(orders):
                    return result
                return -result if orders[index] == "desc" else result
        return left[0] - right[0]

    keyed = [(i, [get_path(row, field) for field in fields]) for i, row in enumerate(rows)]
    keyed.sort(key=cmp_to_key(compare))
    return [rows[i] for i, _values in keyed]


def deep_query(value: Any, needle: str) -> bool:
    """json-server's ``deepQuery``: a substring of any scalar, however deep (lower case)."""
    if not truthy(value) or not needle:
        return False
    if isinstance(value, list):
        return any(deep_query(item, needle) for item in value)
    if isinstance(value, dict):
        return any(deep_query(item, needle) for item in value.values())
    return needle in js_str(value).lower()


def _field_test(key: str, values: list[str]) -> Callable[[Any], bool]:
    """One ``?key=value`` condition, as json-server's ``filter`` callback decides it."""
    operator = next((op for op in _OPERATORS if key.endswith(op)), "")
    path = key[: -len(operator)] if operator else key
    patterns: list[re.Pattern[str]] = []

    def compiled() -> list[re.Pattern[str]]:
        # JavaScript builds the RegExp per row: a bad one throws only on a row with the field.
        if not patterns:
            for value in values:
                try:
                    patterns.append(re.compile(value, re.IGNORECASE))
                except re.error as error:
                    raise ScriptError(
                        f"SyntaxError: Invalid regular expression: /{value}/i: {error}"
                    ) from None
        return patterns

    def test(row: Any) -> bool:
        field = get_path(row, path)
        if field is None or field is MISSING:
            return False
        text = js_str(field)
        if operator == "_ne":
            return all(value != text for value in values)
        if operator == "_like":
            return any(pattern.search(text) for pattern in compiled())
        if operator == "_gte":
            return any(js_compare(value, field) in (-1, 0) for value in values)
        if operator == "_lte":
            return any(js_compare(value, field) in (0, 1) for value in values)
        return any(value == text for value in values)

    return test


def select(rows: list[Any], query: Query) -> list[Any]:
    """The rows ``q`` and the field conditions keep, in collection order."""
    collection = rows
    needles = query.get("q")
    if needles and truthy(needles[0]):
        needle = needles[0].lower()
        rows = [row for row in rows if isinstance(row, dict) and _row_has(row, needle)]
    for key, values in query.items():
        if key in RESERVED or key in ("callback", "_"):
            continue
        if not key.endswith(_OPERATORS) and not any(_has_path(r, key) for r in collection):
            continue  # json-server drops conditions on fields no row has
        test = _field_test(key, values)
        rows = [row for row in rows if test(row)]
    return rows


def _row_has(row: dict[str, Any], needle: str) -> bool:
    return any(deep_query(value, needle) for value in row.values())


def single(query: Query, key: str, expression: str) -> str | None:
    """A key's value where json-server calls ``expression.split`` (it throws on repeats)."""
    values = query.get(key)
    if values is None:
        return None
    if len(values) > 1:
        raise ScriptError(f"TypeError: {expression}.split is not a function")
    return values[0]


def sort(rows: list[Any], query: Query) -> list[Any]:
    """``_sort=a,b&_order=asc,desc``."""
    fields = single(query, "_sort", "_sort")
    if not fields:
        return rows
    orders = [
        order.lower() for order in (single(query, "_order", '(_order || "")') or "").split(",")
    ]
    return order_by(rows, fields.split(","), orders)


def page_of(total: int, page: int, per_page: int) -> tuple[slice, dict[str, int]]:
    """json-server's ``getPage``: the slice and the pages its Link header names."""
    start, end = (page - 1) * per_page, page * per_page
    size = len(range(total)[start:end])
    links: dict[str, int] = {}
    if size == 0:
        return slice(start, end), links
    if page > 1:
        links["prev"] = page - 1
    if end < total:
        links["next"] = page + 1
    if size != total:
        links = {"first": 1, **links, "last": math.ceil(total / per_page), "current": page}
    return slice(start, end), links


def window(rows: list[Any], query: Query, full_url: str, headers: Headers) -> list[Any]:
    """``_page``/``_limit`` (with a Link header) or ``_start``/``_end``/``_limit``."""
    page_values, end_values = query.get("_page"), query.get("_end")
    limit_values = query.get("_limit")
    present = [v for v in (end_values, limit_values, page_values) if v and _given(v)]
    if not present:
        return rows
    headers.append(("X-Total-Count", str(len(rows))))
    expose = "X-Total-Count, Link" if page_values and _given(page_values) else "X-Total-Count"
    headers.append(("Access-Control-Expose-Headers", expose))
    start = parse_int(query.get("_start") or []) or 0
    if page_values and _given(page_values):
        page = parse_int(page_values)
        page = page if page is not None and page >= 1 else 1
        per_page = parse_int(limit_values or []) or 10
        part, pages = page_of(len(rows), page, per_page)
        headers.append(("Link", _link_header(full_url, pages)))
        return rows[part]
    if end_values and _given(end_values):
        return rows[start : parse_int(end_values) or 0]
    limit = parse_int(limit_values or [])
    return rows[start : start + limit] if limit is not None else []


def _given(values: list[str]) -> bool:
    return len(values) > 1 or values[0] != ""


def _link_header(full_url: str, pages: dict[str, int]) -> str:
    """Express's ``res.links``: each page's URL is the request's with ``page=N`` swapped."""
    current = f"page={pages.get('current', 'undefined')}"
    rels = [rel for rel in ("first", "prev", "next", "last") if rel in pages]
    return ", ".join(
        f'<{full_url.replace(current, f"page={pages[rel]}", 1)}>; rel="{rel}"' for rel in rels
    )
