"""Comparisons, logic, numbers, lists, variables and randomness (Handlebars.java's
``ConditionalHelpers`` and WireMock's own helpers)."""

from __future__ import annotations

import random
import socket
import string
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...openapi.regexbound import bounded_pattern
from .registry import BODY, Helper, arg, number, opt_bool
from .request import Root
from .values import java_equals, lookup, text, truthy

__all__ = ["LOGIC_HELPERS"]

P = tuple[Any, ...]
H = dict[str, Any]
MAX_RANGE = 100_000
"""Longest list ``range`` may build: request data must not exhaust memory."""
MAX_RANDOM = 100_000


def _answer(result: bool, h: H) -> Any:
    if "yes" in h or "no" in h:
        return h.get("yes", "true") if result else h.get("no", "false")
    return result


def _compare(p: P) -> int:
    """Two strings compare as text (``gt '10' '9'`` is false, as in WireMock); otherwise
    as numbers when both read as numbers."""
    left, right = arg(p, 0), arg(p, 1)
    try:
        if isinstance(left, str) and isinstance(right, str):
            raise ValueError("compare as text")
        a, b = number(left), number(right)
    except ValueError:
        a_text, b_text = text(left), text(right)
        return (a_text > b_text) - (a_text < b_text)
    return (a > b) - (a < b)


def _eq(p: P, h: H, r: Root) -> Any:
    return _answer(java_equals(arg(p, 0), arg(p, 1)), h)


def _neq(p: P, h: H, r: Root) -> Any:
    return _answer(not java_equals(arg(p, 0), arg(p, 1)), h)


def _gt(p: P, h: H, r: Root) -> Any:
    return _answer(_compare(p) > 0, h)


def _gte(p: P, h: H, r: Root) -> Any:
    return _answer(_compare(p) >= 0, h)


def _lt(p: P, h: H, r: Root) -> Any:
    return _answer(_compare(p) < 0, h)


def _lte(p: P, h: H, r: Root) -> Any:
    return _answer(_compare(p) <= 0, h)


def _and(p: P, h: H, r: Root) -> Any:
    return _answer(all(truthy(v) for v in p), h)


def _or(p: P, h: H, r: Root) -> Any:
    return _answer(any(truthy(v) for v in p), h)


def _not(p: P, h: H, r: Root) -> Any:
    return _answer(not truthy(arg(p, 0)), h)


def _contains(p: P, h: H, r: Root) -> Any:
    container, item = arg(p, 0), arg(p, 1)
    if isinstance(container, list | tuple):
        return any(java_equals(v, item) for v in container)
    return container is not None and text(item) in text(container)


def _matches(p: P, h: H, r: Root) -> Any:
    value = arg(p, 0)
    # Bounded: a pattern that backtracks badly on request data must not hang the server.
    return value is not None and bounded_pattern(text(arg(p, 1))).fullmatch(text(value))


def _is_odd(p: P, h: H, r: Root) -> Any:
    return "odd" if int(number(arg(p, 0))) % 2 else ""


def _is_even(p: P, h: H, r: Root) -> Any:
    return "" if int(number(arg(p, 0))) % 2 else "even"


def _math(p: P, h: H, r: Root) -> Any:
    left, op, right = number(arg(p, 0)), text(arg(p, 1)), number(arg(p, 2))
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        exponent = left.as_tuple().exponent
        assert isinstance(exponent, int)
        return (left / right).quantize(Decimal(1).scaleb(exponent), ROUND_HALF_UP)
    if op == "%":
        return left % right
    raise ValueError(f"math: unknown operator {op!r}")


def _size(p: P, h: H, r: Root) -> Any:
    value = arg(p, 0)
    if value is None:
        raise ValueError("size of nothing")
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    return len(text(value))


def _range(p: P, h: H, r: Root) -> Any:
    low, high = int(number(arg(p, 0))), int(number(arg(p, 1)))
    if high < low:
        raise ValueError(f"range: {high} is below {low}")
    if high - low >= MAX_RANGE:
        raise ValueError(f"range longer than {MAX_RANGE} is refused")
    return list(range(low, high + 1))


def _array(p: P, h: H, r: Root) -> Any:
    return list(p)


def _array_add(p: P, h: H, r: Root) -> Any:
    items = list(arg(p, 0) or [])
    position = h.get("position")
    end = position in (None, "end")
    index = len(items) if end else 0 if position == "start" else int(number(position))
    items.insert(index, arg(p, 1))
    return items


def _array_remove(p: P, h: H, r: Root) -> Any:
    items = list(arg(p, 0) or [])
    position = h.get("position", "end")
    index = len(items) - 1 if position == "end" else 0 if position == "start" else int(position)
    if 0 <= index < len(items):
        del items[index]
    return items


def _val(p: P, h: H, r: Root) -> Any:
    value = arg(p, 0)
    if value is None:
        value = h.get("default", h.get("or"))
    if "assign" in h:
        r[text(h["assign"])] = value
        return ""
    return value


def _assign(p: P, h: H, r: Root) -> Any:
    name = arg(p, 0)
    if not isinstance(name, str):  # WireMock: a ClassCastException, a 500
        raise ValueError("assign needs a variable name")
    r[name] = text(h.get(BODY, "")).strip()
    return ""


def _lookup(p: P, h: H, r: Root) -> Any:
    found = lookup(arg(p, 0), text(arg(p, 1)))
    return arg(p, 0) if found is None else found


def _rng(r: Root) -> random.Random:
    return r.rng if r.rng is not None else random.Random()


_RANDOM_CHARS = {
    "ALPHANUMERIC": string.ascii_lowercase + string.digits,
    "ALPHABETIC": string.ascii_lowercase,
    "NUMERIC": string.digits,
    "HEXADECIMAL": "0123456789abcdef",
    "ALPHANUMERIC_AND_SYMBOLS": "".join(chr(c) for c in range(33, 126)).lower(),
}


def _random_value(p: P, h: H, r: Root) -> Any:
    kind = text(h.get("type", "ALPHANUMERIC")).upper()
    rng = _rng(r)
    if kind == "UUID":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    chars = _RANDOM_CHARS.get(kind)
    if chars is None:
        raise ValueError(f"randomValue: unknown type {kind!r}")
    length = int(h.get("length", 36))
    if not 0 <= length <= MAX_RANDOM:
        raise ValueError(f"randomValue length must be 0..{MAX_RANDOM}")
    value = "".join(rng.choices(chars, k=length))
    return value.upper() if opt_bool(h.get("uppercase", False)) else value


def _random_int(p: P, h: H, r: Root) -> Any:
    low = int(number(h.get("lower", -(2**31))))
    high = int(number(h.get("upper", 2**31 - 1)))
    return _rng(r).randrange(low, high)


def _random_decimal(p: P, h: H, r: Root) -> Any:
    low = float(number(h.get("lower", -1.7976931348623157e308 / 2)))
    high = float(number(h.get("upper", 1.7976931348623157e308 / 2)))
    return _rng(r).uniform(low, high)


def _pick_random(p: P, h: H, r: Root) -> Any:
    pool = list(p[0]) if len(p) == 1 and isinstance(p[0], list | tuple) else list(p)
    if not pool:
        raise ValueError("pickRandom needs at least one value")
    if "count" in h:
        count = min(int(number(h["count"])), len(pool))
        return _rng(r).sample(pool, count)
    return pool[_rng(r).randrange(len(pool))]


def _hostname(p: P, h: H, r: Root) -> Any:
    return socket.gethostname()


def _system_value(p: P, h: H, r: Root) -> Any:
    """Never reads the environment or properties: WireMock's answer when not permitted."""
    return f"[ERROR: Access to {text(h.get('key', ''))} is denied]"


RANDOM = frozenset({"random"})
LOGIC_HELPERS: dict[str, Helper] = {
    "eq": Helper(_eq, block="cond"),
    "neq": Helper(_neq, block="cond"),
    "gt": Helper(_gt, block="cond"),
    "gte": Helper(_gte, block="cond"),
    "lt": Helper(_lt, block="cond"),
    "lte": Helper(_lte, block="cond"),
    "and": Helper(_and, block="cond"),
    "or": Helper(_or, block="cond"),
    "not": Helper(_not, block="cond"),
    "contains": Helper(_contains, block="body_if"),
    "matches": Helper(_matches, block="body_if"),
    "isOdd": Helper(_is_odd),
    "isEven": Helper(_is_even),
    "math": Helper(_math),
    "size": Helper(_size),
    "range": Helper(_range),
    "array": Helper(_array),
    "arrayAdd": Helper(_array_add),
    "arrayRemove": Helper(_array_remove),
    "val": Helper(_val),
    "assign": Helper(_assign, block="capture"),
    "lookup": Helper(_lookup),
    "randomValue": Helper(_random_value, needs=RANDOM),
    "randomInt": Helper(_random_int, needs=RANDOM),
    "randomDecimal": Helper(_random_decimal, needs=RANDOM),
    "pickRandom": Helper(_pick_random, needs=RANDOM),
    "hostname": Helper(_hostname),
    "systemValue": Helper(_system_value),
}
