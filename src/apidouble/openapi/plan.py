"""A schema, read once: the keywords generation needs, with ``allOf`` merged in.

Plans are cached by the schema's identity (the loader hands out the same dict for every
``$ref`` to it) and keep the schema alive, so an id is never confused with a new dict's.
"""

from __future__ import annotations

import re
from typing import Any

from apidouble.openapi.formats import pattern_usable
from apidouble.openapi.model import Schema

__all__ = ["MISSING", "SCHEMA_NAME", "Plan", "plan_for"]

SCHEMA_NAME = "x-apidouble-name"
"""Where a loader may note a component's name (``Pet`` for ``#/components/schemas/Pet``):
the value a discriminator without a ``mapping`` entry takes for that schema."""

MISSING: Any = object()
_ANY: Schema = {}
_OBJECT_KEYS = frozenset(
    (
        "properties",
        "additionalProperties",
        "required",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "propertyNames",
    )
)
_ARRAY_KEYS = frozenset(("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"))
_STRING_KEYS = frozenset(("minLength", "maxLength", "pattern"))
_NUMBER_KEYS = frozenset(
    ("minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum")
)
_COMBINATOR_KEYS = frozenset(
    (
        "oneOf",
        "anyOf",
        "discriminator",
        "description",
        "title",
        "example",
        "examples",
        "externalDocs",
        "nullable",
        "x-stripeBypassValidation",
        "default",
        "deprecated",
    )
)
_PLANS: dict[tuple[int, str], tuple[Schema, Plan]] = {}


def plan_for(schema: Schema, dialect: str) -> Plan:
    """The plan of ``schema``, built on first use and kept while the schema lives."""
    key = (id(schema), dialect)
    entry = _PLANS.get(key)
    if entry is None or entry[0] is not schema:
        if len(_PLANS) > 200_000:
            _PLANS.clear()
        entry = (schema, Plan(schema, dialect))
        _PLANS[key] = entry
    return entry[1]


def _flatten(schema: Schema, depth: int = 0) -> Schema:
    """``allOf`` merged into one schema (best effort: the tighter bound wins)."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or depth > 8:
        return schema
    merged: Schema = {k: v for k, v in schema.items() if k != "allOf"}
    allowed: set[str] | None = None  # a part with additionalProperties: false sees only its own
    for part in [merged, *parts]:
        if isinstance(part, dict):
            if part is not merged:
                part = _flatten(part, depth + 1)
                merged = _merge(merged, part)
            if part.get("additionalProperties") is False:
                own = part.get("properties")
                names = set(own) if isinstance(own, dict) else set()
                allowed = names if allowed is None else allowed & names
    if allowed is not None and isinstance(merged.get("properties"), dict):
        merged["properties"] = {k: v for k, v in merged["properties"].items() if k in allowed}
    return merged


def _merge(a: Schema, b: Schema) -> Schema:
    out = dict(a)
    for key, new in b.items():
        if key not in out:
            out[key] = new
            continue
        old = out[key]
        if old is new:
            continue
        if key == "properties" and isinstance(old, dict) and isinstance(new, dict):
            props = dict(old)
            for prop, sub in new.items():
                props[prop] = sub if prop not in props else {"allOf": [props[prop], sub]}
            out[key] = props
        elif key == "required" and isinstance(old, list) and isinstance(new, list):
            out[key] = list(dict.fromkeys([*old, *new]))
        elif key in ("minimum", "minLength", "minItems", "minProperties"):
            out[key] = max(old, new)
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties"):
            out[key] = min(old, new)
        elif key == "type":
            left = old if isinstance(old, list) else [old]
            right = new if isinstance(new, list) else [new]
            both = [t for t in left if t in right]
            if "integer" in left and "number" in right or "number" in left and "integer" in right:
                both.append("integer")
            out[key] = both if len(both) != 1 else both[0]
        elif key == "enum" and isinstance(old, list) and isinstance(new, list):
            out[key] = [x for x in old if x in new]
        elif key == "additionalProperties":
            if old is False or new is False:
                out[key] = False
            elif isinstance(old, dict) and isinstance(new, dict):
                out[key] = {"allOf": [old, new]}
            elif isinstance(new, dict):
                out[key] = new
        elif key in ("items", "contains", "propertyNames", "not") and isinstance(old, dict):
            out[key] = {"allOf": [old, new]} if isinstance(new, dict) else new
        elif key == "nullable":
            out[key] = bool(old) and bool(new)
    if "nullable" in out and ("nullable" not in a or "nullable" not in b):
        out["nullable"] = False
    return out


def _types(s: Schema) -> tuple[str, ...]:
    declared = s.get("type")
    if isinstance(declared, str):
        return (declared,) if declared in _KINDS else ("string",)
    if isinstance(declared, list) and declared:
        known = tuple(t for t in declared if t in _KINDS)
        return known or ("string",)
    keys = s.keys()
    if not _OBJECT_KEYS.isdisjoint(keys):
        return ("object",)
    if not _ARRAY_KEYS.isdisjoint(keys):
        return ("array",)
    fmt = s.get("format")
    if fmt in ("int32", "int64"):
        return ("integer",)
    if not _NUMBER_KEYS.isdisjoint(keys) or fmt in ("float", "double"):
        return ("number",)
    if not _STRING_KEYS.isdisjoint(keys) or fmt is not None:
        return ("string",)
    if "not" in s:
        return ("string", "integer", "boolean", "object", "array")
    return ("string",)


_KINDS = frozenset(("string", "integer", "number", "boolean", "null", "array", "object"))


class Plan:
    """What generating from one schema needs, read from it once."""

    def __init__(self, schema: Schema, dialect: str) -> None:
        s = _flatten(schema)
        self.const: Any = s.get("const", MISSING)
        enum = s.get("enum")
        self.enum: list[Any] | None = enum if isinstance(enum, list) else None
        self.nullable = s.get("nullable") is True and dialect == "3.0"
        examples: list[Any] = []
        if "example" in s:
            examples.append(s["example"])
        if isinstance(s.get("examples"), list):
            examples.extend(s["examples"])
        if "default" in s:
            examples.append(s["default"])
        self.examples = examples
        self.hidden_read = s.get("readOnly") is True
        self.hidden_write = s.get("writeOnly") is True
        not_ = s.get("not")
        self.not_: Schema | None = not_ if isinstance(not_, dict) else None
        self.types = _types(s)
        self._choices(s)
        self.dialect = dialect
        if self.choices or self.enum is not None:
            self.nullable = False  # OAS 3.0 validators read nullable beside type only
        fmt = s.get("format")
        self.format: str | None = fmt if isinstance(fmt, str) else None
        pattern = s.get("pattern")
        self.pattern: str | None = pattern if isinstance(pattern, str) else None
        self.min_length: int = int(s.get("minLength", 0))
        self.max_length: int | None = s.get("maxLength")
        self._numbers(s)
        self._arrays(s)
        self._objects(s)

    def hidden(self, skip: str) -> bool:
        """Whether a property with this schema is left out (``readOnly``/``writeOnly``)."""
        return self.hidden_read if skip == "readOnly" else self.hidden_write

    def _choices(self, s: Schema) -> None:
        branches = s.get("oneOf")
        self.exclusive = isinstance(branches, list) and bool(branches)
        if not self.exclusive:
            branches = s.get("anyOf")
        raw = [b for b in branches if isinstance(b, dict)] if isinstance(branches, list) else []
        self.raw_choices: list[Schema] = raw
        base = {k: v for k, v in s.items() if k not in _COMBINATOR_KEYS}
        self.choices = [_merge(base, _flatten(b)) if base else b for b in raw]
        disc = s.get("discriminator")
        if disc is None and self.choices:  # the Pet-in-allOf form: the branches' parent says
            disc = _flatten(self.choices[0]).get("discriminator")
        self.discriminator: str | None = None
        self.tags: list[str | None] = []
        if isinstance(disc, dict) and isinstance(disc.get("propertyName"), str):
            self.discriminator = disc["propertyName"]
            mapping = disc.get("mapping")
            mapping = mapping if isinstance(mapping, dict) else {}
            self.tags = [
                self._tag(self.discriminator, mapping, raw_branch, merged)
                for raw_branch, merged in zip(raw, self.choices, strict=True)
            ]
        self.simple_choice: int | None = None
        for index, branch in enumerate(self.choices):
            flat = _flatten(branch)
            if not ({"oneOf", "anyOf"} & flat.keys()) and _types(flat)[0] not in (
                "object",
                "array",
            ):
                self.simple_choice = index
                break

    @staticmethod
    def _tag(prop: str, mapping: dict[str, Any], raw: Schema, merged: Schema) -> str | None:
        """The discriminator value naming branch ``raw``: its ``mapping`` key, else its
        component name (``SCHEMA_NAME``) or title; None when the branch's own schema for
        the property would refuse it (an enum without it, a const, a pattern)."""
        name = raw.get(SCHEMA_NAME) or raw.get("title") or _flatten(raw).get("title")
        tag: str | None = None
        for key, target in mapping.items():
            if target is raw or (
                isinstance(target, str) and name and target.rsplit("/", 1)[-1] == name
            ):
                tag = str(key)
                break
        else:
            tag = str(name) if isinstance(name, str) and name else None
        props = _flatten(merged).get("properties")
        sub = props.get(prop) if isinstance(props, dict) else None
        if tag is not None and isinstance(sub, dict):
            sub_flat = _flatten(sub)
            enum = sub_flat.get("enum")
            if isinstance(enum, list) and tag not in enum:
                return None
            if "const" in sub_flat or "pattern" in sub_flat or "string" not in _types(sub_flat):
                return None
        return tag

    def _numbers(self, s: Schema) -> None:
        self.minimum: float | None = s.get("minimum")
        self.maximum: float | None = s.get("maximum")
        ex_min, ex_max = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        self.excl_min = ex_min is True
        self.excl_max = ex_max is True
        if isinstance(ex_min, int | float) and not isinstance(ex_min, bool):
            if self.minimum is None or ex_min >= self.minimum:
                self.minimum, self.excl_min = ex_min, True
        if isinstance(ex_max, int | float) and not isinstance(ex_max, bool):
            if self.maximum is None or ex_max <= self.maximum:
                self.maximum, self.excl_max = ex_max, True
        step = s.get("multipleOf")
        self.multiple_of: float | None = step if isinstance(step, int | float) and step else None

    def _arrays(self, s: Schema) -> None:
        items = s.get("items", _ANY)
        prefix = s.get("prefixItems")
        if isinstance(items, list):
            prefix, items = items, s.get("additionalItems", _ANY)
        self.prefix_items: list[Schema] = [
            p if isinstance(p, dict) else _ANY for p in (prefix if isinstance(prefix, list) else [])
        ]
        self.items_closed = items is False
        self.items: Schema = items if isinstance(items, dict) else _ANY
        self.min_items: int = int(s.get("minItems", 0))
        self.max_items: int | None = s.get("maxItems")
        if self.items_closed:
            self.max_items = min(self.max_items or len(self.prefix_items), len(self.prefix_items))
        self.unique = s.get("uniqueItems") is True
        contains = s.get("contains")
        self.contains: Schema | None = (
            {"allOf": [self.items, contains]} if isinstance(contains, dict) else None
        )

    def _objects(self, s: Schema) -> None:
        props = s.get("properties")
        props = props if isinstance(props, dict) else {}
        required = s.get("required")
        needed = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        self.properties: list[tuple[str, Schema, bool]] = []
        for prop, sub in props.items():
            if sub is False:
                continue
            self.properties.append((prop, sub if isinstance(sub, dict) else _ANY, prop in needed))
        self.property_names_declared = frozenset(props)
        self.required_extra = [r for r in dict.fromkeys(needed) if r not in props]
        additional = s.get("additionalProperties", MISSING)
        self.additional: Schema | bool | None = (
            additional if isinstance(additional, dict | bool) else None
        )
        patterns = s.get("patternProperties")
        self.pattern_properties: list[tuple[re.Pattern[str], Schema]] = []
        if isinstance(patterns, dict):
            for pattern, sub in patterns.items():
                if pattern_usable(pattern) and isinstance(sub, dict):
                    self.pattern_properties.append((re.compile(pattern), sub))
        self.property_names: Schema | None = s.get("propertyNames")
        self.min_properties: int = int(s.get("minProperties", 0))
        self.max_properties: int | None = s.get("maxProperties")
        closed = self.additional is False or s.get("unevaluatedProperties") is False
        self.closed = closed
        self.fill_extra = (
            not closed
            and self.property_names is None
            and (isinstance(self.additional, dict) or self.additional is True or not props)
            and "object" in self.types
        )
        self._for_key: dict[str, Schema] = {}

    def schema_for(self, key: str) -> Schema:
        """The schema an extra property ``key`` must meet (its patterns, else
        ``additionalProperties``)."""
        found = self._for_key.get(key)
        if found is None:
            matching = [sub for p, sub in self.pattern_properties if p.search(key)]
            if not matching:
                found = self.additional if isinstance(self.additional, dict) else _ANY
            else:
                found = matching[0] if len(matching) == 1 else {"allOf": matching}
            self._for_key[key] = found
        return found
