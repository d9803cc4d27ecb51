"""Mockoon's numbers and comparisons: ``add``...``toFixed``, ``eq``/``gt``/``lt``...,
``and``/``or``/``not`` and ``switch``/``case``/``default``. Numbers follow JavaScript's
``Number()``: numeric text counts, anything else is NaN (skipped by ``add``, false for
``gt``)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .registry import Helper, arg
from .request import Root
from .values import truthy

__all__ = ["LOGIC_HELPERS", "js_number"]

P = tuple[Any, ...]
H = dict[str, Any]


def js_number(value: Any) -> float:
    """JavaScript's ``Number(value)``: NaN for what does not read as a number."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float | Decimal):
        return float(value)
    if value is None:
        return math.nan
    source = str(value).strip()
    if source == "":
        return 0.0
    try:
        return float(int(source, 16)) if source.lower().startswith("0x") else float(source)
    except ValueError:
        return math.nan


def _out(value: float) -> int | float:
    """A JS number as we hand it on: integral values as ints (JS prints ``3``)."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def _fold(p: P, step: Any, skip_zero: bool = False) -> Any:
    if not p:
        return ""
    total = js_number(p[0])
    for item in p[1:]:
        value = js_number(item)
        if math.isnan(value) or (skip_zero and value == 0):
            continue
        total = step(total, value)
    return _out(total)


def _modulo(p: P, h: H, r: Root) -> Any:
    if len(p) <= 1 or js_number(p[1]) == 0:
        return ""
    return _out(math.fmod(js_number(p[0]), js_number(p[1])))


def _unary(fn: Any) -> Any:
    def run(p: P, h: H, r: Root) -> Any:
        if not p:
            return ""
        value = js_number(p[0])
        return _out(float(fn(value))) if math.isfinite(value) else value

    return run


def _js_round(value: float) -> float:
    return float(math.floor(value + 0.5))


def _to_fixed(p: P, h: H, r: Root) -> str:
    value, digits = js_number(arg(p, 0)), js_number(arg(p, 1, 0))
    value = 0.0 if math.isnan(value) else value
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    places = 0 if math.isnan(digits) else max(0, min(100, int(digits)))
    exact = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{exact:.{places}f}"


def _compare(test: Any) -> Any:
    def run(p: P, h: H, r: Root) -> bool:
        left, right = js_number(arg(p, 0)), js_number(arg(p, 1))
        if math.isnan(left) or math.isnan(right):
            return False
        return bool(test(left, right))

    return run


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _eq(p: P, h: H, r: Root) -> bool:
    """JavaScript's ``===``: same type and value (numbers by value)."""
    if len(p) < 2:
        return False
    left, right = p[0], p[1]
    if _number(left) and _number(right):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


SWITCH = "@switch"
"""Where ``switch`` keeps its value and whether a ``case`` matched, in the render's root."""


def _switch(p: P, h: H, r: Root) -> bool:
    """``{{#switch v}}``: remembers ``v`` and renders its body, where the cases test it
    (one level: a ``switch`` inside a ``case`` replaces the outer value)."""
    r[SWITCH] = [arg(p, 0), False]
    return True


def _case(p: P, h: H, r: Root) -> bool:
    state = r.get(SWITCH)
    if state is None or state[1] or not p or not _eq((p[0], state[0]), h, r):
        return False
    state[1] = True
    return True


def _default(p: P, h: H, r: Root) -> bool:
    state = r.get(SWITCH)
    return state is None or not state[1]


LOGIC_HELPERS = {
    "switch": Helper(_switch, "cond"),
    "case": Helper(_case, "cond"),
    "default": Helper(_default, "cond"),
    "add": Helper(lambda p, h, r: _fold(p, lambda a, b: a + b)),
    "subtract": Helper(lambda p, h, r: _fold(p, lambda a, b: a - b)),
    "multiply": Helper(lambda p, h, r: _fold(p, lambda a, b: a * b)),
    "divide": Helper(lambda p, h, r: _fold(p, lambda a, b: a / b, skip_zero=True)),
    "modulo": Helper(_modulo),
    "ceil": Helper(_unary(math.ceil)),
    "floor": Helper(_unary(math.floor)),
    "round": Helper(_unary(_js_round)),
    "toFixed": Helper(_to_fixed),
    "eq": Helper(_eq),
    "gt": Helper(_compare(lambda a, b: a > b)),
    "gte": Helper(_compare(lambda a, b: a >= b)),
    "lt": Helper(_compare(lambda a, b: a < b)),
    "lte": Helper(_compare(lambda a, b: a <= b)),
    "and": Helper(lambda p, h, r: all(truthy(v) for v in p)),
    "or": Helper(lambda p, h, r: any(truthy(v) for v in p)),
    "not": Helper(lambda p, h, r: not truthy(arg(p, 0))),
}
