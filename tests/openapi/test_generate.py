"""The generator's one property: every value validates against its schema (format checks on).

Hand-written schemas cover each keyword; the corpus specs in ``data_generate/`` (copied,
licences beside them) cover what real APIs write. Behaviours a validator cannot see
(optional properties filled, ``writeOnly`` left out, realistic names, determinism) have
their own tests.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker, validators
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
    oas31_format_checker,
)

from apidouble.openapi.generate import GenerationError, generate
from apidouble.openapi.plan import SCHEMA_NAME

DATA = Path(__file__).parent / "data_generate"
SEEDS = range(12)


def _hidden_aware(skip: str) -> Any:
    """2020-12 with OpenAPI's one twist: a required ``readOnly`` property is not required
    in a request, nor a ``writeOnly`` one in a response."""

    def required(validator: Any, names: Any, instance: Any, schema: Any) -> Iterator[Any]:
        props = schema.get("properties", {})
        kept = [n for n in names if not (isinstance(props.get(n), dict) and props[n].get(skip))]
        yield from _REQUIRED(validator, kept, instance, schema)

    return validators.extend(Draft202012Validator, {"required": required})


_REQUIRED = Draft202012Validator.VALIDATORS["required"]
_READ31 = _hidden_aware("writeOnly")
_WRITE31 = _hidden_aware("readOnly")
_STRICTER = {  # formats jsonschema checks only with optional packages this venv lacks
    "uri": r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$",
    "uri-reference": r"^[^\s]*$",
    "hostname": r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*"
    r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$",
    "duration": r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$",
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
}


def _checker(base: dict[str, Any]) -> FormatChecker:
    checker = FormatChecker()
    checker.checkers = dict(base)
    for fmt, regex in _STRICTER.items():
        checker.checks(fmt)(
            lambda v, rx=re.compile(regex): not isinstance(v, str) or bool(rx.match(v))
        )
    return checker


FORMATS31 = _checker(
    {
        **Draft202012Validator.FORMAT_CHECKER.checkers,
        **{k: oas31_format_checker.checkers[k] for k in ("int32", "int64", "float", "double")},
    }
)
FORMATS30 = _checker(oas30_format_checker.checkers)


def check(
    schema: dict[str, Any], value: Any, dialect: str, direction: str, doc: Any = None
) -> None:
    """Validate as OpenAPI does; ``doc`` lets 3.0 discriminators find their schemas."""
    if dialect == "3.1":
        cls = _READ31 if direction == "response" else _WRITE31
        validator: Any = cls(schema, format_checker=FORMATS31)
    else:
        cls = OAS30ReadValidator if direction == "response" else OAS30WriteValidator
        if doc is not None and "components" in doc:  # the root the mapping's refs name
            schema = {**schema, "components": doc["components"]}
        validator = cls(schema, format_checker=FORMATS30)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
    assert not errors, f"{value!r} fails: {errors[:3]}"


def valid_values(
    schema: dict[str, Any], dialect: str = "3.0", direction: str = "response", **kw: Any
) -> list[Any]:
    values = []
    for seed in SEEDS:
        value = generate(
            schema, rng=random.Random(seed), dialect=dialect, direction=direction, **kw
        )  # type: ignore[arg-type]
        check(schema, value, dialect, direction)
        values.append(value)
    return values


NODE: dict[str, Any] = {"type": "object", "properties": {"value": {"type": "integer"}}}
NODE["properties"]["children"] = {"type": "array", "items": NODE}
NODE["properties"]["parent"] = NODE

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("string", {"type": "string"}, "3.0"),
    ("lengths", {"type": "string", "minLength": 30, "maxLength": 32}, "3.0"),
    ("short", {"type": "string", "maxLength": 2}, "3.0"),
    ("empty-only", {"type": "string", "maxLength": 0}, "3.0"),
    ("pattern", {"type": "string", "pattern": "^[A-Z]{2}-\\d{4}$"}, "3.0"),
    ("pattern-len", {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5}, "3.0"),
    ("enum", {"type": "string", "enum": ["a", "b", "c"]}, "3.0"),
    ("const", {"const": {"k": [1, 2]}}, "3.1"),
    ("nullable", {"type": "string", "nullable": True}, "3.0"),
    ("type-array", {"type": ["string", "null", "integer"]}, "3.1"),
    ("null", {"type": "null"}, "3.1"),
    ("boolean", {"type": "boolean"}, "3.0"),
    ("int-range", {"type": "integer", "minimum": -5, "maximum": 5}, "3.0"),
    (
        "int-excl-30",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": 3,
            "exclusiveMinimum": True,
            "exclusiveMaximum": True,
        },
        "3.0",
    ),
    ("int-excl-31", {"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 3}, "3.1"),
    ("num-excl-31", {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, "3.1"),
    (
        "num-excl-30",
        {"type": "number", "minimum": 0, "maximum": 0.5, "exclusiveMaximum": True},
        "3.0",
    ),
    ("int-max-only", {"type": "integer", "maximum": -100}, "3.0"),
    ("int-multiple", {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 100}, "3.0"),
    ("num-multiple", {"type": "number", "multipleOf": 0.1, "minimum": 0, "maximum": 10}, "3.0"),
    ("num-multiple-odd", {"type": "number", "multipleOf": 0.01}, "3.0"),
    ("int32", {"type": "integer", "format": "int32", "minimum": 2_000_000_000}, "3.0"),
    ("int64", {"type": "integer", "format": "int64"}, "3.0"),
    ("float", {"type": "number", "format": "float"}, "3.0"),
    ("double", {"type": "number", "format": "double", "minimum": 5}, "3.0"),
    ("array", {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 4}, "3.0"),
    (
        "unique",
        {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 3},
            "minItems": 4,
            "uniqueItems": True,
        },
        "3.0",
    ),
    (
        "unique-enum",
        {"type": "array", "items": {"enum": ["x", "y"]}, "uniqueItems": True, "maxItems": 2},
        "3.0",
    ),
    (
        "prefix",
        {
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "integer"}],
            "items": False,
            "minItems": 2,
        },
        "3.1",
    ),
    (
        "prefix-open",
        {
            "type": "array",
            "prefixItems": [{"const": 1}],
            "items": {"type": "string"},
            "minItems": 3,
        },
        "3.1",
    ),
    (
        "contains",
        {"type": "array", "items": {"type": "integer"}, "contains": {"minimum": 100}},
        "3.1",
    ),
    (
        "object",
        {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        },
        "3.0",
    ),
    (
        "closed",
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        "3.0",
    ),
    (
        "additional",
        {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 3},
        "3.0",
    ),
    (
        "max-props",
        {
            "type": "object",
            "maxProperties": 1,
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "string"},
                "c": {"type": "string"},
            },
        },
        "3.0",
    ),
    (
        "pattern-props",
        {
            "type": "object",
            "patternProperties": {"^x-[a-z]+$": {"type": "integer"}},
            "additionalProperties": False,
            "minProperties": 2,
        },
        "3.1",
    ),
    (
        "pattern-and-extra",
        {
            "type": "object",
            "patternProperties": {"a": {"type": "integer"}},
            "additionalProperties": {"type": "string"},
        },
        "3.1",
    ),
    (
        "required-undeclared",
        {"type": "object", "required": ["zz"], "additionalProperties": {"type": "boolean"}},
        "3.0",
    ),
    ("free-form", {"type": "object"}, "3.0"),
    (
        "all-of",
        {
            "allOf": [
                {
                    "type": "object",
                    "required": ["a"],
                    "properties": {"a": {"type": "integer", "minimum": 0}},
                },
                {"required": ["b"], "properties": {"a": {"maximum": 3}, "b": {"type": "string"}}},
            ]
        },
        "3.0",
    ),
    ("one-of", {"oneOf": [{"type": "string"}, {"type": "integer"}]}, "3.0"),
    ("one-of-overlap", {"oneOf": [{"type": "integer"}, {"type": "number"}]}, "3.0"),
    (
        "any-of",
        {
            "anyOf": [
                {"type": "string", "format": "email"},
                {"type": "array", "items": {"type": "boolean"}},
            ]
        },
        "3.0",
    ),
    ("not", {"not": {"type": "string"}}, "3.1"),
    ("not-enum", {"type": "integer", "minimum": 0, "maximum": 3, "not": {"enum": [0, 1]}}, "3.0"),
    ("recursive", NODE, "3.0"),
    ("empty", {}, "3.1"),
    ("true-property", {"type": "object", "properties": {"x": True}}, "3.1"),
    *(
        (f"format-{fmt}", {"type": "string", "format": fmt}, dialect)
        for fmt in (
            "email",
            "uuid",
            "date-time",
            "date",
            "time",
            "duration",
            "uri",
            "url",
            "uri-reference",
            "hostname",
            "ipv4",
            "ipv6",
            "byte",
            "binary",
            "password",
            "unknown-format",
        )
        for dialect in ("3.0", "3.1")
    ),
]


@pytest.mark.parametrize(
    ("schema", "dialect"), [(s, d) for _, s, d in CASES], ids=[c[0] for c in CASES]
)
def test_every_value_validates(schema: dict[str, Any], dialect: str) -> None:
    for direction in ("response", "request"):
        valid_values(schema, dialect, direction)


def test_no_schema_gives_none() -> None:
    assert generate(None, rng=random.Random(0)) is None


def test_optional_properties_are_filled_like_prism() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    assert all(set(v) == {"a", "b"} for v in valid_values(schema))


def test_additional_properties_schema_adds_keys_but_closed_objects_get_none() -> None:
    open_ = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": {"type": "integer"},
    }
    assert all(len(v) > 1 for v in valid_values(open_))
    declared = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert all(set(v) == {"a"} for v in valid_values(declared))


def test_write_only_left_out_of_responses_read_only_out_of_requests() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "password": {"type": "string", "writeOnly": True},
            "name": {"type": "string"},
        },
    }
    assert all(set(v) == {"id", "name"} for v in valid_values(schema, direction="response"))
    assert all(set(v) == {"password", "name"} for v in valid_values(schema, direction="request"))


def test_enum_values_all_come_from_the_enum() -> None:
    values = valid_values({"type": "string", "enum": ["a", "b", "c"]})
    assert set(values) == {"a", "b", "c"}


def test_nullable_sometimes_null_and_type_arrays_use_every_type() -> None:
    nullable = {"type": "string", "nullable": True}
    values = [generate(nullable, rng=random.Random(seed)) for seed in range(60)]
    assert None in values and any(isinstance(v, str) for v in values)
    deep = {"type": "object", "properties": {"n": {"type": "string", "nullable": True}}}
    chain: dict[str, Any] = deep
    for _ in range(6):
        chain = {"type": "object", "required": ["c"], "properties": {"c": chain}}
    value = generate(chain, rng=random.Random(1))
    while "c" in value:
        value = value["c"]
    assert value == {}  # optional dropped past the depth
    kinds = {type(v) for v in valid_values({"type": ["string", "integer", "null"]}, "3.1")}
    assert kinds == {str, int, type(None)}


def test_recursion_is_bounded() -> None:
    value = generate(NODE, rng=random.Random(3))

    def depth(v: Any) -> int:
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        return 0

    assert 2 < depth(value) < 20


def test_required_cycle_and_huge_arrays_raise() -> None:
    loop: dict[str, Any] = {"type": "object", "required": ["next"]}
    loop["properties"] = {"next": loop}
    with pytest.raises(GenerationError):
        generate(loop, rng=random.Random(0))
    with pytest.raises(GenerationError, match="minItems"):
        generate(
            {"type": "array", "items": {"type": "string"}, "minItems": 3000}, rng=random.Random(0)
        )


def test_one_of_value_matches_exactly_one_branch() -> None:
    schema = {"oneOf": [{"type": "integer"}, {"type": "number"}]}
    values = valid_values(schema)
    assert all(isinstance(v, float) for v in values)  # an integer would match both


def test_discriminator_property_names_the_chosen_schema() -> None:
    cat = {
        "title": "Cat",
        "type": "object",
        "required": ["kind", "meow"],
        "properties": {"kind": {"type": "string"}, "meow": {"type": "boolean"}},
    }
    dog = {
        "title": "Dog",
        "type": "object",
        "required": ["kind", "bark"],
        "properties": {"kind": {"type": "string"}, "bark": {"type": "integer"}},
    }
    by_title = {"oneOf": [cat, dog], "discriminator": {"propertyName": "kind"}}
    assert {v["kind"] for v in valid_values(by_title, "3.1")} == {"Cat", "Dog"}
    # 2020-12 ignores the discriminator, so the mapping's own names can be checked there
    mapped = {
        "oneOf": [cat, dog],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
        },
    }
    seen = set()
    for value in valid_values(mapped, "3.1"):
        seen.add(value["kind"])
        assert ("meow" in value) == (value["kind"] == "cat")
    assert seen == {"cat", "dog"}


def test_examples_only_when_asked() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "example": "EX", "default": "DEF"},
            "b": {"type": "string", "default": "DEF"},
        },
    }
    assert all(v == {"a": "EX", "b": "DEF"} for v in valid_values(schema, use_examples=True))
    assert all(v["a"] != "EX" and v["b"] != "DEF" for v in valid_values(schema))


def test_names_pick_realistic_values_within_constraints() -> None:
    props = {
        name: {"type": "string"}
        for name in (
            "email",
            "first_name",
            "lastName",
            "city",
            "country",
            "phone",
            "company",
            "url",
            "avatar",
            "description",
        )
    }
    props["id"] = {"type": "integer"}
    props["name"] = {"type": "string", "maxLength": 3}
    props["zip"] = {"type": "string", "pattern": "^Z\\d$"}
    for value in valid_values({"type": "object", "properties": props}):
        assert "@" in value["email"] and " " not in value["first_name"]
        assert value["url"].startswith("http") and value["avatar"].startswith("http")
        assert 1 <= value["id"] <= 1000
        assert len(value["name"]) <= 3 and value["zip"].startswith("Z")
        assert not value["city"].startswith(("lorem", "ipsum"))


def test_array_max_sets_the_default_length() -> None:
    schema = {"type": "array", "items": {"type": "integer"}}
    assert max(len(v) for v in valid_values(schema, array_max=10)) > 3
    assert all(1 <= len(v) <= 2 for v in valid_values(schema, array_max=2))


RICH: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "email": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "score": {"type": "number"},
    },
}


def test_same_seed_same_value_and_different_seeds_differ() -> None:
    first = generate(RICH, rng=random.Random(42))
    assert generate(RICH, rng=random.Random(42)) == first
    others = {json.dumps(generate(RICH, rng=random.Random(s)), sort_keys=True) for s in SEEDS}
    assert len(others) == len(SEEDS)


def test_same_seed_same_value_across_processes() -> None:
    script = (
        "import json, random, sys\n"
        "from apidouble.openapi.generate import generate\n"
        "schema = json.loads(sys.argv[1])\n"
        "print(json.dumps(generate(schema, rng=random.Random(7)), sort_keys=True))\n"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", script, json.dumps(RICH)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2)
    ]
    assert outs[0] == outs[1] and outs[0].strip()


# -- the corpus ------------------------------------------------------------------------


def _load(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return json.loads(raw) if ".json" in path.name else yaml.safe_load(raw)


def _resolve(doc: Any) -> Any:
    """Local ``$ref``s replaced in place by their targets (cycles stay cycles)."""

    def target(ref: str) -> Any:
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    done: set[int] = set()

    def walk(node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = target(node["$ref"])
        if id(node) in done:
            return node
        done.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                node[key] = walk(value)
        elif isinstance(node, list):
            node[:] = [walk(v) for v in node]
        return node

    return walk(doc)


def _schemas(doc: Any) -> Iterator[tuple[str, Any]]:
    named = (doc.get("components") or {}).get("schemas") or doc.get("definitions") or {}
    yield from ((f"#/{n}", s) for n, s in named.items())
    for path, item in (doc.get("paths") or {}).items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            where = f"{method} {path}"
            bodies = [("request", op.get("requestBody") or {})]
            bodies += [(s, r) for s, r in (op.get("responses") or {}).items()]
            for status, body in bodies:
                if isinstance(body.get("schema"), dict):  # Swagger 2.0
                    yield f"{where} {status}", body["schema"]
                for media, content in (body.get("content") or {}).items():
                    if isinstance(content, dict) and isinstance(content.get("schema"), dict):
                        yield f"{where} {status} {media}", content["schema"]
            for param in [*op.get("parameters", []), *item.get("parameters", [])]:
                if isinstance(param, dict) and isinstance(param.get("schema"), dict):
                    yield f"{where} {param.get('name')}", param["schema"]


CORPUS = sorted(p for p in DATA.rglob("*") if p.suffix in (".yaml", ".json", ".gz"))


UNSATISFIABLE = {
    # allOf of a string and an integer: no value is both
    "post /anything/quirks/polymorphism request application/json",
    "put /anything/quirks/polymorphism request application/json",
    "patch /anything/quirks/polymorphism request application/json",
    # a oneOf of two identical string schemas, or of two empty ones
    "post /one-of-with-type request application/json",
    "post /anything/nested-one-of-ref request application/json",
    # mapping values written as bare schema names, which the 3.0 validator cannot resolve
    "patch /mapping-of-schema-names request application/json",
    # the branches share a parent whose discriminator sends both to the same schema
    "patch /embedded-discriminator request application/json",
}
INVALID_SPECS = {
    # a nullable oneOf of three identical branches: no value matches exactly one
    "complex-nesting.yaml",
    # boolean exclusiveMaximum in 3.1 (see the corpus README): tolerated, not checkable
    "schema-validation-local.yaml",
    "schema-validation-top-level.yaml",
}


@cache
def _corpus(path: Path) -> tuple[str, list[tuple[str, Any]], Any]:
    raw = _load(path)
    doc = copy.deepcopy(raw)
    for name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
        schema[SCHEMA_NAME] = name  # what the loader is asked to note
    doc = _resolve(doc)
    version = str(doc.get("openapi", "2.0"))
    schemas = [(w, s) for w, s in _schemas(doc) if w not in UNSATISFIABLE]
    text = json.dumps(raw, default=str)  # stripe's few discriminators carry a mapping-free
    discriminated = "discriminator" in text and len(text) < 500_000  # form: skip the cost
    return ("3.1" if version.startswith("3.1") else "3.0"), schemas, raw if discriminated else None


PARTS = 4  # a big spec (stripe) is checked in slices, each well inside the test timeout
CORPUS_CASES = [
    (path, part, PARTS if path.stat().st_size > 200_000 else 1)
    for path in CORPUS
    for part in range(PARTS if path.stat().st_size > 200_000 else 1)
]


@pytest.mark.parametrize(
    ("path", "part", "parts"),
    CORPUS_CASES,
    ids=[f"{p.relative_to(DATA)}-{k}" for p, k, _ in CORPUS_CASES],
)
def test_every_corpus_schema_validates(path: Path, part: int, parts: int) -> None:
    if path.name in INVALID_SPECS:
        pytest.skip("the spec itself is invalid")
    dialect, schemas, raw = _corpus(path)
    schemas = schemas[part::parts]
    assert schemas, f"{path} has no schemas"
    seeds = range(1) if parts > 1 else range(3)  # a big spec: its size is the variety
    for where, schema in schemas:
        for seed in seeds:
            for direction in ("response", "request"):
                value = generate(
                    schema,
                    rng=random.Random(seed),
                    dialect=dialect,  # type: ignore[arg-type]
                    direction=direction,
                )  # type: ignore[arg-type]
                try:
                    check(schema, value, dialect, direction, raw)
                except AssertionError as exc:
                    raise AssertionError(f"{where} ({direction}, seed {seed}): {exc}") from None


# --- static data (selection.sample): what schemathesis found in the corpus -------------


def test_static_string_fits_its_pattern() -> None:
    """openapi-sampler's ``"string"`` fits few patterns: one drawn from the pattern
    instead, the same every time (static answers stay static)."""
    from apidouble.openapi.selection import sample

    schema = {"type": "string", "pattern": "^rdme_\\w+$", "maxLength": 12}
    value = sample(schema)
    assert re.search(schema["pattern"], value) and len(value) <= 12
    assert sample(schema) == value
    assert sample({"type": "string", "pattern": "str"}) == "string"  # fits already
    assert sample({"type": "string", "pattern": "(?<!x"}) == "string"  # unreadable


def _nested(depth: int) -> dict[str, Any]:
    """``depth`` levels of objects, each requiring ``id`` and offering a nullable ``next``."""
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "more": {"type": "integer"},
                "next": {"anyOf": [schema, {"type": "null"}]},
            },
        }
    return schema


def test_static_data_past_the_depth_bound_still_fits() -> None:
    """Deep schemas (stripe's) used to get ``null`` past the depth bound, where no null is
    allowed: the value now closes (required properties, the branch that ends soonest)."""
    from apidouble.openapi.selection import sample

    schema = _nested(12)
    value = sample(schema)
    Draft202012Validator(schema).validate(value)
    assert value["more"] == 0  # near the top, every property, as openapi-sampler


def test_a_recursive_schema_closes_with_what_it_requires() -> None:
    """A schema's third appearance on the way down was ``{}`` (openapi-sampler's stop),
    which breaks ``required``; it is ``{}`` only where nothing is required."""
    from apidouble.openapi.selection import sample

    node: dict[str, Any] = {"type": "object", "required": ["id"]}
    node["properties"] = {"id": {"type": "integer"}, "parent": node}
    value = sample(node)
    Draft202012Validator({**node, "properties": {**node["properties"]}}).validate(value)
    assert value["parent"]["parent"] == {"id": 0}
    loose: dict[str, Any] = {"type": "object"}
    loose["properties"] = {"name": {"type": "string"}, "children": {"items": loose}}
    assert sample(loose)["children"][0]["children"] == [{}]  # Prism's answer, unchanged
