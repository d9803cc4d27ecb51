"""Data from a schema: a value that validates against it, for dynamic responses and imports.

Behaves the way Prism's ``-d`` does where that is observable: every optional property is
filled, ``example``/``default`` are ignored unless asked for (``use_examples``), objects
whose ``additionalProperties`` is a schema (or that declare no properties) get a few extra
keys, ``writeOnly`` properties are left out of responses and ``readOnly`` ones out of
requests. Each schema is read once into a small ``_Plan`` (cached by identity), so a
request pays only for drawing values. Recursive schemas are cycles of dicts: past
``SOFT_DEPTH`` nesting levels optional properties are dropped, arrays shrink to their
minimum and nullable values become null; past ``HARD_DEPTH`` generation gives up.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any, Literal

from apidouble.openapi.formats import (
    integer_value,
    number_value,
    pattern_string,
    pattern_usable,
    string_value,
)
from apidouble.openapi.model import Schema
from apidouble.openapi.plan import MISSING, Plan, plan_for

__all__ = ["HARD_DEPTH", "SOFT_DEPTH", "GenerationError", "generate"]

SOFT_DEPTH = 4
HARD_DEPTH = 40
_TOO_MANY_ITEMS = 1000
_EXTRA_KEYS = ("alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "theta")

Dialect = Literal["3.0", "3.1"]
Direction = Literal["response", "request"]


class GenerationError(ValueError):
    """The schema asks for more than a mock should build (Prism's "schema too complex"),
    or recursion that never ends (a required property cycle)."""


class _Ctx:
    """One generation's settings, passed down instead of a dozen arguments."""

    __slots__ = ("array_max", "dialect", "direction", "rng", "use_examples")

    def __init__(
        self,
        rng: random.Random,
        dialect: Dialect,
        direction: Direction,
        use_examples: bool,
        array_max: int,
    ) -> None:
        self.rng = rng
        self.dialect = dialect
        self.direction = direction
        self.use_examples = use_examples
        self.array_max = array_max


def generate(
    schema: Schema | None,
    *,
    rng: random.Random,
    dialect: Dialect = "3.0",
    direction: Direction = "response",
    name: str = "",
    use_examples: bool = False,
    array_max: int = 3,
) -> Any:
    """A value valid against ``schema`` (None when there is no schema).

    ``name`` is the property (or parameter) the value is for: it picks realistic data
    (``email``, ``city``…) where the schema leaves room. ``use_examples`` prefers the
    schema's ``example``/``examples``/``default`` (Prism's dynamic mode does not; the
    importer may). Arrays without ``maxItems`` get at most ``array_max`` more items than
    their ``minItems``. Raises ``GenerationError`` when the schema is too big to fill.
    """
    if schema is None:
        return None
    ctx = _Ctx(rng, dialect, direction, use_examples, array_max)
    return _value(schema, ctx, 0, name)


def _copy(value: Any) -> Any:
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def _value(schema: Schema, ctx: _Ctx, depth: int, name: str) -> Any:
    if depth > HARD_DEPTH:
        raise GenerationError("the schema recurses through required values without end")
    plan = plan_for(schema, ctx.dialect)
    rng = ctx.rng
    if plan.const is not MISSING:
        return _copy(plan.const)
    if plan.enum is not None:
        return _copy(rng.choice(plan.enum)) if plan.enum else None
    if ctx.use_examples and plan.examples:
        return _copy(plan.examples[0])
    if plan.nullable and (depth > SOFT_DEPTH or rng.random() < 0.1):
        return None
    if plan.choices:
        return _choose(plan, ctx, depth, name)
    value = _typed(plan, ctx, depth, name)
    if plan.not_ is not None:
        for _ in range(8):
            if not _valid(plan.not_, value, ctx.dialect):
                break
            value = _typed(plan, ctx, depth, name)
    return value


def _typed(plan: Plan, ctx: _Ctx, depth: int, name: str) -> Any:
    rng = ctx.rng
    kind = plan.types[0] if len(plan.types) == 1 else rng.choice(plan.types)
    if kind == "null" and depth <= SOFT_DEPTH and len(plan.types) > 1 and rng.random() < 0.7:
        kind = rng.choice([t for t in plan.types if t != "null"])
    return _MAKERS[kind](plan, ctx, depth, name)


def _choose(plan: Plan, ctx: _Ctx, depth: int, name: str) -> Any:
    """``oneOf``/``anyOf``: generate from one branch; for ``oneOf`` retry other branches
    until exactly one accepts the value (when some does)."""
    rng = ctx.rng
    order = list(range(len(plan.choices)))
    if depth > SOFT_DEPTH and plan.simple_choice is not None:
        order = [plan.simple_choice]
    else:
        rng.shuffle(order)
    value: Any = None
    attempts = order * 2 if plan.exclusive else order[:1]
    for index in attempts[:8]:
        value = _value(plan.choices[index], ctx, depth, name)
        if plan.discriminator and isinstance(value, dict):
            tag = plan.tags[index]
            if tag is not None:
                value[plan.discriminator] = tag
        if not plan.exclusive:
            return value
        accepting = sum(1 for s in plan.raw_choices if _valid(s, value, ctx.dialect))
        if accepting > 1 and isinstance(value, dict):
            value = _spoil(plan, index, value, ctx.dialect)
            accepting = sum(1 for s in plan.raw_choices if _valid(s, value, ctx.dialect))
        if accepting == 1:
            return value
    return value


_SPOILERS: tuple[Any, ...] = (12345, "x", True, [], {})


def _spoil(plan: Plan, index: int, value: dict[str, Any], dialect: str) -> dict[str, Any]:
    """Loosen the other ``oneOf`` branches' hold on an object the chosen one built: give a
    property only they declare a value they refuse and the chosen branch allows."""
    chosen = plan_for(plan.choices[index], dialect)
    if chosen.closed:
        return value
    for other_index, other in enumerate(plan.raw_choices):
        if other_index == index or not _valid(other, value, dialect):
            continue
        for prop, sub, _ in plan_for(other, dialect).properties:
            if prop in value or prop in chosen.property_names_declared:
                continue
            allowed = chosen.schema_for(prop)
            bad = next(
                (
                    b
                    for b in _SPOILERS
                    if not _valid(sub, b, dialect) and _valid(allowed, b, dialect)
                ),
                MISSING,
            )
            if bad is not MISSING:
                value = {**value, prop: bad}
                break
    return value


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _array(plan: Plan, ctx: _Ctx, depth: int, name: str) -> list[Any]:
    rng = ctx.rng
    lo = plan.min_items
    if lo > _TOO_MANY_ITEMS:
        raise GenerationError(f"minItems {lo} is more than a mock builds")
    hi = plan.max_items if plan.max_items is not None else lo + ctx.array_max
    if depth >= SOFT_DEPTH:
        count = lo
    else:
        count = rng.randint(max(lo, min(1, hi)), max(lo, hi))
    out: list[Any] = []
    seen: set[str] = set()
    for index, prefix in enumerate(plan.prefix_items):
        if index >= count and index >= lo:
            break
        out.append(_value(prefix, ctx, depth + 1, name))
    if plan.items is None and plan.prefix_items:
        return out
    item_schema: Schema = plan.items if plan.items is not None else {}
    if plan.contains is not None and len(out) < max(count, 1):
        out.append(_value({"allOf": [item_schema, plan.contains]}, ctx, depth + 1, name))
    tries = 0
    while len(out) < count and tries < count * 10 + 10:
        tries += 1
        item = _value(item_schema, ctx, depth + 1, name)
        if plan.unique:
            key = _key(item)
            if key in seen or any(_key(x) == key for x in out):
                continue
            seen.add(key)
        out.append(item)
    return out


def _object(plan: Plan, ctx: _Ctx, depth: int, name: str) -> dict[str, Any]:
    rng = ctx.rng
    out: dict[str, Any] = {}
    skip = "writeOnly" if ctx.direction == "response" else "readOnly"
    fill = depth < SOFT_DEPTH
    optional: list[str] = []
    for prop, sub, required in plan.properties:
        if sub.get(skip) is True or plan_for(sub, ctx.dialect).hidden(skip):
            continue
        if required or fill:
            out[prop] = _value(sub, ctx, depth + 1, prop)
            if not required:
                optional.append(prop)
    for prop in plan.required_extra:
        out[prop] = _value(plan.schema_for(prop), ctx, depth + 1, prop)
    if plan.max_properties is not None:
        while len(out) > plan.max_properties and optional:
            del out[optional.pop()]
    wanted = plan.min_properties
    if fill and plan.fill_extra and (plan.max_properties is None or len(out) < plan.max_properties):
        wanted = max(wanted, len(out) + rng.randint(1, 2))
    if plan.max_properties is not None:
        wanted = min(wanted, plan.max_properties)
    tries = 0
    while len(out) < wanted and tries < 20:
        tries += 1
        key = _extra_name(plan, rng, tries)
        if key is None or key in out:
            continue
        out[key] = _value(plan.schema_for(key), ctx, depth + 1, key)
    return out


def _extra_name(plan: Plan, rng: random.Random, attempt: int) -> str | None:
    """A key for an extra property: from a ``patternProperties`` pattern when extras must
    match one, else a word that no pattern claims."""
    if plan.additional is False or plan.property_names is not None:
        if not plan.pattern_properties:
            return None
        pattern, _ = rng.choice(plan.pattern_properties)
        return pattern_string(rng, pattern.pattern) if pattern_usable(pattern.pattern) else None
    word = f"{rng.choice(_EXTRA_KEYS)}{attempt if attempt > 8 else ''}"
    if word in plan.property_names_declared:
        return None
    return None if any(p.search(word) for p, _ in plan.pattern_properties) else word


_MAKERS: dict[str, Callable[[Plan, _Ctx, int, str], Any]] = {
    "string": lambda p, c, d, n: string_value(p, c.rng, n),
    "integer": lambda p, c, d, n: integer_value(p, c.rng, n),
    "number": lambda p, c, d, n: number_value(p, c.rng, n),
    "boolean": lambda p, c, d, n: c.rng.random() < 0.5,
    "null": lambda p, c, d, n: None,
    "array": _array,
    "object": _object,
}


_VALIDATORS: dict[tuple[int, str], tuple[Schema, Any]] = {}


def _valid(schema: Schema, value: Any, dialect: str) -> bool:
    """Whether ``value`` fits ``schema`` (no format checks): for ``oneOf`` and ``not``."""
    key = (id(schema), dialect)
    entry = _VALIDATORS.get(key)
    if entry is None or entry[0] is not schema:
        entry = (schema, _validator_class(dialect)(schema))
        _VALIDATORS[key] = entry
    return bool(entry[1].is_valid(value))


def _validator_class(dialect: str) -> Any:
    import jsonschema

    if dialect == "3.1":
        return jsonschema.Draft202012Validator
    try:
        from openapi_schema_validator import OAS30Validator
    except ImportError:  # pragma: no cover - the 3.0 validator ships with the dev tools
        return jsonschema.Draft4Validator
    return OAS30Validator
