"""Serve time: mock data for any query, as graphql-core's field and type resolvers.

Each object is a ``MockObject`` with a key (its path from the root, or ``Type:id`` once
its id is known) and the values an override gave it; every field below it is drawn from
that key, so the same query answers the same data on every call, an object with a given
id is the same object wherever it appears, and overrides and errors come from
``MockRules``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)

from .fakes import ValueSource, scalar_value
from .mocks import FieldError, MockRules

__all__ = ["MockData", "MockObject"]

_MISSING: Any = object()


class MockObject:
    """One object of the answer: its concrete type, seed key and overridden values."""

    __slots__ = ("type_name", "key", "known")

    def __init__(self, type_name: str, key: str, known: Mapping[str, Any]) -> None:
        self.type_name = type_name
        self.key = key
        self.known = known

    def view(self) -> dict[str, Any]:
        """What templates see as ``parent``."""
        return {"__typename": self.type_name, **self.known}


class MockData:
    """Resolvers producing type-correct, seeded data for one schema."""

    def __init__(
        self,
        schema: GraphQLSchema,
        rules: MockRules,
        *,
        seed: int | None = None,
        list_length: int = 2,
    ) -> None:
        self.schema = schema
        self.rules = rules
        self.values = ValueSource(seed)
        self.failures = random.Random(seed)
        """Draws for the overrides that fail some of the time (``rate``)."""
        self.list_length = list_length

    def root(self, root_type: GraphQLObjectType) -> MockObject:
        return MockObject(root_type.name, root_type.name, {})

    def resolve_field(self, source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        """The field's value: the parent's given value, else an override, else generated."""
        if not isinstance(source, MockObject):  # a value from a template or a stub
            if isinstance(source, Mapping):
                return source.get(info.field_name)
            return getattr(source, info.field_name, None)
        name = info.field_name
        provided = source.known.get(name, _MISSING)
        if provided is _MISSING:
            rule = self._rule(info.parent_type, name)
            if isinstance(rule, FieldError):
                if rule.fails(self.failures):
                    rule.raise_error()
            elif rule is not None:
                context = dict(info.context or {})
                context.update(args=args, parent=source.view())
                provided = rule.produce(context)
        key = f"{source.key}.{name}"
        if args:
            key += json.dumps(args, sort_keys=True, default=str)
        return self._build(info.return_type, provided, key, name, args)

    def resolve_type(
        self, value: Any, info: GraphQLResolveInfo[Any], abstract: GraphQLAbstractType
    ) -> str | None:
        if isinstance(value, MockObject):
            return value.type_name
        if isinstance(value, Mapping) and isinstance(value.get("__typename"), str):
            return str(value["__typename"])
        return None

    def _rule(self, parent: GraphQLObjectType, name: str) -> Any:
        rule = self.rules.get(parent.name, name)
        if rule is None:
            for interface in parent.interfaces:
                rule = self.rules.get(interface.name, name)
                if rule is not None:
                    break
        return rule

    def _build(
        self, gtype: GraphQLOutputType, provided: Any, key: str, name: str, args: Mapping[str, Any]
    ) -> Any:
        if is_non_null_type(gtype):
            gtype = gtype.of_type
        if provided is None:
            return None
        if is_list_type(gtype):
            item_type = gtype.of_type
            if isinstance(provided, list):
                items = provided
            else:
                items = [provided] * self.list_length
            return [
                self._build(item_type, item, f"{key}[{i}]", name, {})
                for i, item in enumerate(items)
            ]
        if is_leaf_type(gtype):
            if is_enum_type(gtype):
                return self._enum(gtype, provided, key)
            if provided is not _MISSING:
                return provided
            return scalar_value(gtype.name, name, self.values, key)
        return self._object(gtype, provided, key, args)

    def _enum(self, gtype: GraphQLEnumType, provided: Any, key: str) -> Any:
        names = list(gtype.values)
        if provided is not _MISSING:
            if isinstance(provided, str) and provided in gtype.values:
                return _enum_value(gtype, provided)
            return provided
        if not names:
            return None
        return _enum_value(gtype, names[self.values.number(key) % len(names)])

    def _object(
        self, gtype: GraphQLOutputType, provided: Any, key: str, args: Mapping[str, Any]
    ) -> MockObject | None:
        partial: Mapping[str, Any] = provided if isinstance(provided, Mapping) else {}
        concrete = self._concrete(gtype, partial, key)
        if concrete is None:
            return None
        ident = partial.get("id", _MISSING)
        if ident is _MISSING and "id" in args and "id" in concrete.fields:
            ident = args["id"]
            partial = {**partial, "id": ident}
        if ident is not _MISSING and ident is not None:
            key = f"{concrete.name}:{ident}"
        return MockObject(concrete.name, key, partial)

    def _concrete(
        self, gtype: GraphQLOutputType, partial: Mapping[str, Any], key: str
    ) -> GraphQLObjectType | None:
        if is_object_type(gtype):
            return gtype
        possible = self.schema.get_possible_types(gtype)  # type: ignore[arg-type]
        wanted = partial.get("__typename")
        for candidate in possible:
            if candidate.name == wanted:
                return candidate
        if not possible:
            return None
        return possible[self.values.number(key, "__typename") % len(possible)]


def _enum_value(gtype: GraphQLEnumType, name: str) -> Any:
    value = gtype.values[name].value
    return name if value is None else value
