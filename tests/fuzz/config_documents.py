"""Native config documents for the loader: drawn from ``docs/schema.json`` (what the
models export), then mutated in their data (wrong types, unknown keys, deep nesting,
huge strings) or in their text (truncation, stray characters, tabs, YAML aliases).

``addons`` entries are dropped: their ``use`` imports a module by name, and a drawn
name must not import something real. Paths a document names (``response_file``,
``document_root``, ``openapi``) are drawn text, relative to a fresh temporary folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from .schema_values import TEXT, from_schema, json_values

__all__ = ["SCHEMA", "Document", "alias_bomb", "deep_text", "documents"]

SCHEMA: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "schema.json").read_text(encoding="utf-8")
)
DATA_MUTATIONS = ["none", "wrong-type", "unknown-key", "deep-nesting", "huge-string"]
TEXT_MUTATIONS = [
    "none",
    "truncate",
    "insert",
    "tab-indent",
    "alias-bomb",
    "duplicate-key",
    "deep-text",
]
DEEP_TEXT_DEPTHS = [100, 900]
"""Nesting depths written as text; deeper ones (past Python's recursion limit) are the
regression tests in ``test_config.py``, which crash the loader today."""


@dataclass(frozen=True, slots=True)
class Document:
    """One config file's text, its suffix and what was done to it."""

    text: str
    suffix: str
    mutation: str


def _without_addons(document: Any) -> Any:
    if isinstance(document, dict):
        document.pop("addons", None)
    return document


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``value`` as a path of keys and indexes (the root is ``()``)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nodes(item, (*path, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = new
    return document


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def _nested(depth: int, leaf: Any, as_list: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if as_list else {"k": value}
    return value


@st.composite
def _data(draw: st.DrawFn) -> tuple[Any, str]:
    document = _without_addons(draw(from_schema(SCHEMA)))
    mutation = draw(st.sampled_from(DATA_MUTATIONS))
    path = draw(st.sampled_from(_nodes(document)))
    if mutation == "wrong-type":
        current = _get(document, path)
        other = json_values(1).filter(lambda v: type(v) is not type(current))
        document = _replace(document, path, draw(other))
    elif mutation == "unknown-key":
        containers = [p for p in _nodes(document) if isinstance(_get(document, p), dict)]
        if containers:
            target = _get(document, draw(st.sampled_from(containers)))
            target[draw(TEXT)] = draw(json_values(1))
    elif mutation == "deep-nesting":
        depth = draw(st.sampled_from([20, 200]))  # deeper: the "deep-text" mutation
        document = _replace(document, path, _nested(depth, 1, draw(st.booleans())))
    elif mutation == "huge-string":
        size = draw(st.sampled_from([10_000, 1_000_000]))
        document = _replace(document, path, draw(st.sampled_from("a{%")) * size)
    return document, mutation


def alias_bomb(levels: int) -> str:
    """YAML whose aliases expand to ``10 ** levels`` strings in an endpoint's response
    (the "billion laughs" shape): a few hundred bytes of text."""
    lines = [
        "endpoints:",
        "- path: /bomb",
        "  response:",
        "    a0: &a0 [x, x, x, x, x, x, x, x, x, x]",
    ]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"    a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def deep_text(suffix: str, depth: int, flow: bool) -> str:
    """An ``endpoints`` value nested ``depth`` lists deep, written as text (JSON, YAML flow
    or YAML block style), so no serializer's own recursion limit is in the way."""
    if suffix == ".json" or flow:
        nest = "[" * depth + "]" * depth
        return '{"endpoints": ' + nest + "}" if suffix == ".json" else f"endpoints: {nest}\n"
    lines = ["endpoints:"] + [" " * (2 * level) + "-" for level in range(1, depth + 1)]
    return "\n".join(lines) + " x\n"


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """A config file's text (YAML or JSON), from the schema, with at most one data and
    one text mutation."""
    data, data_mutation = draw(_data())
    suffix = draw(st.sampled_from([".yaml", ".json"]))
    if suffix == ".json":
        text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    else:
        text = yaml.safe_dump(data, allow_unicode=draw(st.booleans()))
    mutation = draw(st.sampled_from(TEXT_MUTATIONS))
    if mutation == "truncate":
        text = text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    elif mutation == "insert":
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from(["\x00", "\t", ":", "- ", "{", "\ufeff", "&a"]))
            + text[at:]
        )
    elif mutation == "tab-indent":
        text = text.replace("  ", "\t")
    elif mutation == "alias-bomb":
        text, suffix = alias_bomb(draw(st.integers(1, 4))), ".yaml"
    elif mutation == "deep-text":
        text = deep_text(suffix, draw(st.sampled_from(DEEP_TEXT_DEPTHS)), draw(st.booleans()))
    elif mutation == "duplicate-key":
        text, suffix = "endpoints: []\nendpoints: {}\n" + text, ".yaml"
    return Document(text, suffix, f"{data_mutation}+{mutation}")
