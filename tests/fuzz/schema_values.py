"""Values drawn from a JSON Schema (the subset ``docs/schema.json`` uses): the config's
own schema, exported from its models, says what a document can hold.

Keywords followed: ``$ref`` (to ``#/$defs/...``), ``type`` (one or a list), ``enum``,
``const``, ``anyOf``/``oneOf``, ``properties``/``required``/``additionalProperties``,
``items``/``minItems``, ``minLength``/``pattern``, ``minimum``/``maximum``/
``exclusiveMinimum``. Optional properties are left out often, so documents stay small;
past ``MAX_DEPTH`` only the simplest choice is taken, so recursive schemas end.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["from_schema", "json_values"]

MAX_DEPTH = 6
SCALARS = ("string", "integer", "number", "boolean", "null")
ALPHABET = st.characters(codec="utf-8", exclude_categories=["Cs"])
TEXT = st.text(ALPHABET, max_size=12)


def json_values(depth: int = 3) -> st.SearchStrategy[Any]:
    """Any JSON value (small): what a schema's untyped places hold."""
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
    )
    if depth <= 0:
        return scalar
    return st.recursive(
        scalar,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=8,
    )


def from_schema(root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values for ``root`` (a whole schema with its ``$defs``)."""
    return _Builder(root).build(root, 0)


class _Builder:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def build(self, schema: Any, depth: int) -> st.SearchStrategy[Any]:
        if schema is True or schema == {}:
            return json_values(0 if depth > MAX_DEPTH else 2)
        if not isinstance(schema, dict):
            return st.nothing()
        if "$ref" in schema:
            return st.deferred(lambda: self.build(self._target(schema["$ref"]), depth + 1))
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        choices = schema.get("anyOf") or schema.get("oneOf")
        if choices:
            if depth > MAX_DEPTH:  # the simplest branch ends the recursion
                return self.build(min(choices, key=_weight), depth + 1)
            return st.one_of([self.build(choice, depth + 1) for choice in choices])
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self.build({**schema, "type": k}, depth) for k in kind])
        if kind is None:
            return json_values(0 if depth > MAX_DEPTH else 2)
        return self._typed(kind, schema, depth)

    def _target(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def _typed(self, kind: str, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        if kind == "string":
            if "pattern" in schema:
                return st.from_regex(schema["pattern"])
            least = schema.get("minLength", 0)
            return st.text(ALPHABET, min_size=least, max_size=max(12, least))
        if kind == "integer":
            low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**31) - 1) + 1)
            return st.integers(int(low), int(schema.get("maximum", 2**31)))
        if kind == "number":
            low = schema.get("minimum", schema.get("exclusiveMinimum"))
            return st.floats(
                min_value=low,
                max_value=schema.get("maximum"),
                exclude_min="exclusiveMinimum" in schema,
                allow_nan=False,
                allow_infinity=False,
            )
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            items = self.build(schema.get("items", {}), depth + 1)
            least = schema.get("minItems", 0)
            return st.lists(items, min_size=least, max_size=least if depth > MAX_DEPTH else 3)
        if kind == "object":
            return self._object(schema, depth)
        raise ValueError(f"schema type {kind!r} is not generated")

    def _object(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fixed = {name: self.build(properties[name], depth + 1) for name in required}
        optional = {
            name: self.build(sub, depth + 1)
            for name, sub in properties.items()
            if name not in required and depth <= MAX_DEPTH
        }
        extra = schema.get("additionalProperties", True)
        base = st.fixed_dictionaries(fixed, optional=optional)
        if properties or extra is False or depth > MAX_DEPTH:
            return base
        values = self.build(extra if isinstance(extra, dict) else {}, depth + 1)
        return st.builds(lambda a, b: {**b, **a}, base, st.dictionaries(TEXT, values, max_size=3))


def _weight(schema: Any) -> int:
    """How much a branch would draw: scalars first, then the rest by size."""
    if isinstance(schema, dict) and schema.get("type") in SCALARS:
        return 0
    return len(repr(schema))
