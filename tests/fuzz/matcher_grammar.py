"""Matcher expectations and request bodies: regexes from a grammar that cannot backtrack
catastrophically (quantifiers only on single atoms), JSONPath expressions from its
grammar (RFC 9535 plus the common extensions), JSON Schemas from the keywords the
validators know, and JSON documents (sometimes not JSON at all).

Catastrophic regexes have their own tests in ``test_matchers.py`` (each in a child
process with a time limit: bounded for the matchers, still an ``xfail`` for
``path_regex`` and JSONPath filters); drawing them here could stall the run.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from .schema_values import json_values

__all__ = ["bodies", "json_schemas", "jsonpaths", "safe_regexes", "texts"]

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)

# --- regexes -----------------------------------------------------------------------------

_ATOMS = ["a", "b", "x", ".", r"\d", r"\w", r"\s", "[a-c]", "[^a]", r"\.", "é", "(?i:a)", "\\"]
_QUANTIFIERS = ["", "", "*", "+", "?", "{2}", "{1,3}", "*?", "{,2}", "{3,1}"]


def safe_regexes() -> st.SearchStrategy[str]:
    """Patterns with at most one quantifier per atom and no quantified group; sometimes
    not a valid regex at all (``[``, ``(``, a lone ``\\``, a bad range)."""
    atom = st.tuples(st.sampled_from(_ATOMS), st.sampled_from(_QUANTIFIERS)).map("".join)
    sequence = st.lists(atom, min_size=1, max_size=5).map("".join)
    group = sequence.map(lambda s: f"({s})") | sequence.map(lambda s: f"(?P<n>{s})")
    branch = st.lists(sequence | group, min_size=1, max_size=2).map("".join)
    pattern = st.lists(branch, min_size=1, max_size=3).map("|".join)
    broken = st.sampled_from(["[", "(", ")", "a{", "*a", "(?P<1>a)", "(?<=a+)b", "\\"])
    anchored = st.tuples(st.sampled_from(["", "^"]), pattern, st.sampled_from(["", "$"]))
    return st.one_of(anchored.map("".join), broken, st.tuples(pattern, broken).map("".join))


# --- JSONPath ----------------------------------------------------------------------------

_NAMES = ["a", "b", "items", "id", "q", "*", "length()", "size()", "'a b'", "0"]
_FILTERS = [
    "?(@.a)",
    "?(@.id > 1)",
    "?(@.a == 'x')",
    "?(@.a != null)",
    "?(@.items.length() > 1)",
    "?(@ > 1)",
    "?(@.a && @.b || !@.c)",
    "?(@.a in ['x', 'y'])",
    "?(@.a =~ /x.*/)",
    "?(@.a =~ /x/i)",
    "?(length(@.a) > 0)",
    "?(count(@..*) > 2)",
    "?(match(@.a, 'x+'))",
    "?(search(@.a, 'x'))",
]


def jsonpaths() -> st.SearchStrategy[str]:
    """JSONPath expressions: names, indexes, slices, wildcards, descent, unions and
    filters, and now and then a broken one."""
    segment = st.one_of(
        st.sampled_from(_NAMES).map(lambda n: "." + n),
        st.integers(-3, 3).map(lambda i: f"[{i}]"),
        st.sampled_from(["[*]", "[0:2]", "[::-1]", "[1:]", "[:0:0]", "['a','b']", "[0,1]"]),
        st.sampled_from(_NAMES).map(lambda n: ".." + n),
        st.sampled_from(_FILTERS).map(lambda f: f"[{f}]"),
    )
    path = st.lists(segment, max_size=5).map(lambda parts: "$" + "".join(parts))
    broken = st.sampled_from(["", "$[", "$.", "a.b", "$[?(@.a >)]", "$..", "$[?(@.a =~ /[/)]"])
    return st.one_of(path, path, path, broken, texts)


# --- JSON Schema -------------------------------------------------------------------------

_FORMATS = ["email", "uri", "date-time", "date", "ipv4", "uuid", "regex", "hostname", "nope"]
_DRAFTS = [
    None,
    "http://json-schema.org/draft-04/schema#",
    "http://json-schema.org/draft-07/schema#",
    "https://json-schema.org/draft/2020-12/schema",
    "https://example.com/unknown",
]


def json_schemas() -> st.SearchStrategy[Any]:
    """JSON Schemas built from the keywords (with a ``$schema`` draft sometimes), and
    now and then values that are not schemas."""
    leaf = st.one_of(
        st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null"]).map(
            lambda t: {"type": t}
        ),
        st.lists(json_values(1), min_size=1, max_size=3).map(lambda e: {"enum": e}),
        st.integers(-5, 5).map(lambda n: {"minimum": n}),
        st.integers(0, 5).map(lambda n: {"minLength": n}),
        st.sampled_from(_FORMATS).map(lambda f: {"type": "string", "format": f}),
        safe_regexes().map(lambda p: {"type": "string", "pattern": p}),
        st.just({"$ref": "#"}),
        st.just({"$ref": "#/definitions/nope"}),
        st.just({"type": "bogus"}),
        st.booleans(),
    )

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.dictionaries(st.sampled_from(["a", "b", "id"]), inner, max_size=3).map(
                lambda props: {"type": "object", "properties": props, "required": list(props)}
            ),
            inner.map(lambda i: {"type": "array", "items": i, "minItems": 1}),
            st.lists(inner, min_size=1, max_size=3).map(lambda s: {"anyOf": s}),
            st.lists(inner, min_size=1, max_size=3).map(lambda s: {"allOf": s}),
            inner.map(lambda i: {"not": i}),
            inner.map(lambda i: {"type": "object", "additionalProperties": i}),
        )

    schema = st.recursive(leaf, extend, max_leaves=6)

    def with_draft(pair: tuple[Any, str | None]) -> Any:
        value, draft = pair
        if draft is not None and isinstance(value, dict):
            return {"$schema": draft, **value}
        return value

    return st.one_of(st.tuples(schema, st.sampled_from(_DRAFTS)).map(with_draft), json_values(1))


# --- bodies ------------------------------------------------------------------------------


def bodies() -> st.SearchStrategy[bytes]:
    """Request bodies: JSON documents (mostly), broken JSON, other text, raw bytes. Not
    nested past the recursion limit: that is an open finding of its own."""
    document = json_values(4).map(lambda v: json.dumps(v).encode())
    shaped = st.fixed_dictionaries(
        {"a": json_values(1), "items": st.lists(json_values(1), max_size=3)},
        optional={"id": st.integers(), "b": texts, "q": texts},
    ).map(lambda v: json.dumps(v).encode())
    return st.one_of(
        document,
        shaped,
        shaped,
        document.map(lambda b: b[: len(b) // 2]),
        texts.map(str.encode),
        st.binary(max_size=40),
        st.just(b""),
    )
