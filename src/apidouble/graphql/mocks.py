"""Load time: the ``mocks:`` overrides, compiled into one rule per (type, field).

``User: {name: "Ada"}`` is shorthand for ``"User.name": "Ada"``; a field's value may be
a partial object or list for an object field (the rest is generated), may hold Jinja
templates that see ``args``, ``parent``, ``request`` and ``auth``, or may be
``{error: "forbidden"}`` to answer that field with a located error instead (``rate: 0.2``:
that share of the time, seeded; else the field is generated as usual).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLSchema, is_interface_type, is_object_type

from ..templating.valuetemplates import Render, compile_value

__all__ = ["FieldError", "FieldValue", "MockRules", "compile_mocks"]

_ERROR_KEYS = frozenset({"error", "extensions", "rate"})
TEMPLATE_NAMES = ("args", "parent")
"""Names a mock's templates read besides the request's own (``request``, ``auth``...)."""


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A fixed (or templated) value for one field."""

    value: Any
    render: Render | None = None

    def produce(self, context: Mapping[str, Any]) -> Any:
        return self.value if self.render is None else self.render(dict(context))


@dataclass(frozen=True, slots=True)
class FieldError:
    """The field answers null with this error (its path and location added by execution)."""

    message: str
    extensions: Mapping[str, Any] | None = None
    rate: float = 1.0
    """The share of resolutions that fail (1: every one)."""

    def fails(self, rng: random.Random) -> bool:
        """Whether this resolution fails: one draw of ``rng`` unless it always does."""
        return self.rate >= 1.0 or rng.random() < self.rate

    def raise_error(self) -> None:
        raise GraphQLError(self.message, extensions=dict(self.extensions or {}) or None)


@dataclass(frozen=True, slots=True)
class MockRules:
    """Every override, by (type name, field name)."""

    fields: Mapping[tuple[str, str], FieldValue | FieldError] = field(default_factory=dict)

    def get(self, type_name: str, field_name: str) -> FieldValue | FieldError | None:
        return self.fields.get((type_name, field_name))


def compile_mocks(mocks: Mapping[str, Any], schema: GraphQLSchema) -> MockRules:
    """``mocks:`` checked against the schema; ValueError names the bad key."""
    rules: dict[tuple[str, str], FieldValue | FieldError] = {}
    for key, value in mocks.items():
        if "." in key:
            type_name, field_name = key.split(".", 1)
            _check(schema, type_name, field_name, key)
            rules[(type_name, field_name)] = _rule(value, f"mocks.{key}")
            continue
        if not isinstance(value, Mapping):
            raise ValueError(f"mocks.{key}: a type's mocks are a mapping of field to value")
        for field_name, item in value.items():
            _check(schema, key, str(field_name), f"{key}.{field_name}")
            rules.setdefault((key, str(field_name)), _rule(item, f"mocks.{key}.{field_name}"))
    return MockRules(rules)


def _check(schema: GraphQLSchema, type_name: str, field_name: str, key: str) -> None:
    gtype = schema.get_type(type_name)
    if gtype is None or not (is_object_type(gtype) or is_interface_type(gtype)):
        raise ValueError(f"mocks.{key}: no object type {type_name!r} in the schema")
    if field_name not in gtype.fields:
        raise ValueError(f"mocks.{key}: type {type_name} has no field {field_name!r}")


def _rule(value: Any, where: str) -> FieldValue | FieldError:
    if isinstance(value, Mapping) and "error" in value and set(value) <= _ERROR_KEYS:
        extensions = value.get("extensions")
        if extensions is not None and not isinstance(extensions, Mapping):
            raise ValueError(f"{where}.extensions: must be a mapping")
        rate = value.get("rate", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(f"{where}.rate: a share between 0 and 1, got {rate!r}")
        return FieldError(str(value["error"]), extensions, float(rate))
    render, _ = compile_value(value, where, extra=TEMPLATE_NAMES)
    return FieldValue(value, render)
