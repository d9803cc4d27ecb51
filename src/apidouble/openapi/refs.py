"""``$ref`` resolution, in place: every reference replaced by the object it names.

The same target object stands in for every ``$ref`` to it, so a recursive schema becomes
a cycle of dicts rather than an endless copy, and resolving stays one pass over the
document (the big specs are megabytes: no copying, no validation pass). References may
point into the document (``#/components/schemas/Pet``, ``#/paths/~1pets/get/...``) or
into files beside it (``common.yaml#/Pet``, whose own references are relative to it).

In OpenAPI 3.1 a ``$ref`` may have siblings that still apply: the reference becomes
``{**siblings, "allOf": [target]}`` (JSON Schema 2020-12's meaning), except when the
siblings are only ``summary``/``description`` (a Reference Object's annotations), which
are dropped. 3.0 and Swagger 2.0 ignore siblings, as their specs say.

A reference that cannot be followed is replaced by ``{}`` and reported (file, pointer of
the ``$ref``, why); callers leave out what depends on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import unquote

import yaml

from .model import SpecProblem

__all__ = ["Resolver", "escape_pointer", "parse_file"]

_VALUES = frozenset({"example", "default", "enum", "const", "x-example"})
"""Keys whose contents are data, never references (unless they name a property)."""
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "schemas",
        "parameters",
        "responses",
        "headers",
        "dependentSchemas",
    }
)
"""Maps whose keys are names: a property called ``example`` holds a schema."""
_ANNOTATIONS = frozenset({"summary", "description"})
_MAX_CHAIN = 64

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def parse_file(path: Path) -> Any:
    """A YAML or JSON file, parsed (JSON by its extension or its first character)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML is a superset of JSON: let it say what is wrong
    return yaml.load(text, Loader=_Loader)


def escape_pointer(token: str) -> str:
    """One JSON pointer token, escaped (``/pets`` → ``~1pets``)."""
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return unquote(token).replace("~1", "/").replace("~0", "~")


class _Dangling(Exception):
    """A reference that names nothing."""


@dataclass(slots=True)
class Resolver:
    """Resolves the references of ``root`` (the parsed ``file``) and of every file they
    lead to; ``problems`` collects those that could not be followed."""

    file: Path
    root: Any
    keep_siblings: bool = False
    """True for OpenAPI 3.1 (siblings of a ``$ref`` apply)."""
    problems: list[SpecProblem] = field(default_factory=list)
    _documents: dict[Path, Any] = field(default_factory=dict)
    _seen: set[int] = field(default_factory=set)
    _origin: Path = field(init=False)

    def __post_init__(self) -> None:
        self._origin = self.file
        self.file = self.file.resolve()
        self._documents[self.file] = self.root

    def resolve(self) -> Any:
        """The root with every reference replaced (in place); returns the root."""
        if _is_ref(self.root):
            self.root = self._follow(self.root, self.file, "")[0]
        self.walk(self.root, "")
        return self.root

    def walk(self, start: Any, pointer: str, file: Path | None = None) -> None:
        """Replace the references under ``start`` (at ``pointer`` in ``file``, the spec by
        default), each container once: a later walk skips what an earlier one did."""
        where = self.file if file is None else file
        stack: list[tuple[Any, Path, str, str]] = [(start, where, pointer, "")]
        seen = self._seen
        while stack:
            node, where, at, parent_key = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                names = parent_key in _NAME_MAPS
                for key, child in node.items():
                    if not isinstance(child, dict | list):
                        continue
                    if not names and (key in _VALUES or (isinstance(key, str) and key[:2] == "x-")):
                        continue
                    if not names and key == "examples" and isinstance(child, list):
                        continue  # 3.1's examples array on a schema: data
                    child_at = f"{at}/{escape_pointer(str(key))}"
                    if _is_ref(child):
                        child, target_file = self._follow(child, where, child_at)
                        node[key] = child
                    else:
                        target_file = where
                    if id(child) not in seen:
                        stack.append((child, target_file, child_at, str(key)))
            else:
                for index, child in enumerate(node):
                    if not isinstance(child, dict | list):
                        continue
                    child_at = f"{at}/{index}"
                    target_file = where
                    if _is_ref(child):
                        child, target_file = self._follow(child, where, child_at)
                        node[index] = child
                    if id(child) not in seen:
                        stack.append((child, target_file, child_at, ""))

    def _follow(self, ref: dict[str, Any], file: Path, at: str) -> tuple[Any, Path]:
        """The object ``ref`` stands for and the file it lives in."""
        try:
            target, target_file = self._lookup(ref, file)
        except _Dangling as exc:
            shown = self._origin if file == self.file else file
            self.problems.append(SpecProblem(shown, at, str(exc)))
            return {}, file
        siblings = {k: v for k, v in ref.items() if k != "$ref"}
        if self.keep_siblings and set(siblings) - _ANNOTATIONS:
            extra = siblings.get("allOf")
            conjunction = [target, *(extra if isinstance(extra, list) else ())]
            return {**siblings, "allOf": conjunction}, target_file
        return target, target_file

    def _lookup(self, ref: dict[str, Any], file: Path) -> tuple[Any, Path]:
        """Follow ``ref`` (and any chain of references it leads to) to a non-reference."""
        for _ in range(_MAX_CHAIN):
            text = ref["$ref"]
            address, _, fragment = text.partition("#")
            target_file = (file.parent / unquote(address)).resolve() if address else file
            node = self._document(target_file, text)
            for token in fragment.split("/")[1:] if fragment else ():
                if _is_ref(node):
                    node, target_file = self._lookup(node, target_file)
                key = _unescape(token)
                if isinstance(node, dict) and key in node:
                    node = node[key]
                elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                    node = node[int(key)]
                else:
                    raise _Dangling(f"$ref {text!r}: nothing at {fragment!r}")
            if not _is_ref(node):
                return node, target_file
            ref, file = node, target_file
        raise _Dangling(f"$ref {ref['$ref']!r}: references refer to each other in a loop")

    def _document(self, path: Path, text: str) -> Any:
        """The parsed file at ``path`` (each read once)."""
        if path not in self._documents:
            try:
                self._documents[path] = parse_file(path)
            except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
                raise _Dangling(f"$ref {text!r}: cannot read {path.name}: {exc}") from None
        return self._documents[path]


def _is_ref(node: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(node, dict) and isinstance(node.get("$ref"), str)
