"""Parse YAML/JSON text into plain data plus a map from JSON pointer to source line.

Validation errors come back as paths into the data; users need lines. YAML keeps its
node tree (``start_mark``), so lines come from composing it. JSON is parsed by ``json``
(PyYAML rejects valid JSON such as tab separators) and lines come from a small scan of
the already-validated text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from apidouble.errors import SyntaxProblem

__all__ = [
    "JsonLines",
    "Lines",
    "Parsed",
    "MAX_ALIAS_VALUES",
    "SyntaxProblem",
    "check_aliases",
    "child",
    "line_of",
    "parse",
    "pointer",
    "pointer_along",
]

# The decoder's own string scanner: exact JSON string rules, and it returns the end index.
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

Lines = dict[str, int]
"""JSON pointer -> 1-based line. Mapping entries map to their key's line."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """A document's data and where each part of it starts."""

    data: Any
    lines: Lines


def pointer(*parts: str | int) -> str:
    """Join parts into an RFC 6901 JSON pointer (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def child(base: str, part: str | int) -> str:
    """The pointer of ``part`` inside ``base`` (load time asks this for every key of every
    file, so the common parts skip the escaping)."""
    if part.__class__ is int:
        return f"{base}/{part}"
    text = str(part)
    if "~" in text or "/" in text:
        return base + pointer(text)
    return f"{base}/{text}"


def pointer_along(data: Any, loc: Sequence[str | int]) -> str:
    """The JSON pointer of the deepest existing value along a pydantic ``loc``.

    Parts that are not keys or indexes of the data (union member tags, a missing key)
    are skipped, so the pointer always names something in the file.
    """
    ptr, current = "", data
    for part in loc:
        if isinstance(current, dict) and part in current:
            ptr, current = child(ptr, part), current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            ptr, current = child(ptr, part), current[part]
    return ptr


def line_of(lines: Lines, ptr: str) -> int | None:
    """The line of ``ptr``, or of its nearest ancestor that has one."""
    while True:
        if ptr in lines:
            return lines[ptr]
        if not ptr:
            return None
        ptr = ptr.rsplit("/", 1)[0]


TOO_DEEP = "the document is nested too deeply to read (past Python's recursion limit)"


def parse(text: str, *, as_json: bool) -> Parsed:
    """Parse one document; raises ``SyntaxProblem`` with the line of the error.

    A YAML file whose text is a JSON object (generated configs often are) is read by the
    JSON parser, twice as fast; anything it refuses is read as YAML, as before."""
    try:
        return _parse(text, as_json)
    except RecursionError:  # hostile nesting: a clear problem, not a crash
        raise SyntaxProblem(TOO_DEEP, None) from None


def _parse(text: str, as_json: bool) -> Parsed:
    if as_json:
        try:
            return _parse_json(text)
        except SyntaxProblem:
            if "//" not in text and "/*" not in text:
                raise
            return _parse_json(without_comments(text))  # WireMock's parser allows them
    if text.lstrip()[:1] == "{":
        try:
            return _parse_json(text)
        except SyntaxProblem:
            pass
    return _parse_yaml(text)


_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/', re.DOTALL)


def without_comments(text: str) -> str:
    """JSON with ``//`` and ``/* */`` comments blanked out (line numbers kept)."""

    def blank(found: re.Match[str]) -> str:
        part = found.group()
        if part.startswith('"'):
            return part
        return re.sub(r"[^\n]", " ", part)

    return _COMMENT_OR_STRING.sub(blank, text)


# --- YAML ---------------------------------------------------------------------------


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML was built with it (ten times faster on big files); the
nodes, marks and constructors are the same."""


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """Safe loader that keeps timestamps as text, so bodies stay JSON-serialisable."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),
)


MAX_ALIAS_VALUES = 1_000_000
"""Values a YAML document's aliases may add once expanded. PyYAML keeps an alias as a
shared reference, but everything after it (stub ids, response encoding) walks the
expanded tree: "billion laughs" (ten aliases of ten aliases of ... a 700-byte file) is
10**8 values and minutes of work. A million is far above any config's sharing of
headers and bodies, and expands in about three seconds."""


def _parse_yaml(text: str) -> Parsed:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None and "&" in text:  # no anchor, no alias: nothing to expand
            check_aliases(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise SyntaxProblem(f"YAML syntax error: {what}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise SyntaxProblem(f"YAML error: {exc}", None) from exc
    finally:
        loader.dispose()
    lines: Lines = {}
    if node is not None:
        _yaml_lines(node, "", lines, set())
    return Parsed(data, lines)


def check_aliases(root: yaml.Node) -> None:
    """Raise ``SyntaxProblem`` (at the line of the value that crosses the bound) when the
    aliases expand to more than ``MAX_ALIAS_VALUES`` values, or an alias is its own
    ancestor. Linear in the text: each node's expanded size is computed once. Run on a
    composed node before constructing it: configs here, ``data:`` files in
    ``templating/data.py``."""
    sizes: dict[int, int] = {}
    distinct = 0

    def size(node: yaml.Node) -> int:
        nonlocal distinct
        known = sizes.get(id(node))
        if known == -1:
            line = node.start_mark.line + 1
            raise SyntaxProblem("YAML error: an alias refers to a value that holds it", line)
        if known is not None:
            return known
        sizes[id(node)] = -1  # in progress
        distinct += 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        if total - distinct > MAX_ALIAS_VALUES:
            raise SyntaxProblem(
                f"YAML error: its aliases expand to more than {MAX_ALIAS_VALUES:,} values"
                " (an alias bomb?); write the shared parts out, or share less",
                node.start_mark.line + 1,
            )
        sizes[id(node)] = total
        return total

    size(root)


def _yaml_lines(node: yaml.Node, ptr: str, lines: Lines, seen: set[int]) -> None:
    lines.setdefault(ptr, node.start_mark.line + 1)
    if id(node) in seen:  # an alias to an anchor already walked: do not loop
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            sub = child(ptr, key_node.value)
            lines[sub] = key_node.start_mark.line + 1
            _yaml_lines(value_node, sub, lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _yaml_lines(item, child(ptr, index), lines, seen)


# --- JSON ---------------------------------------------------------------------------

_WS = re.compile(r"[ \t\r\n]*")
_ATOM = re.compile(r"[^,\]}\s]+")


def _parse_json(text: str) -> Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SyntaxProblem(f"JSON syntax error: {exc.msg}", exc.lineno) from exc
    return Parsed(data, JsonLines(text))


SHALLOW_DEPTH = 3
"""How deep ``JsonLines`` looks at once: the top level, its arrays' items and their keys
(``/endpoints/4/name``), which is every line load time asks for when nothing is wrong."""


class JsonLines(dict[str, int]):
    """The lines of a JSON document: the first ``SHALLOW_DEPTH`` levels scanned when it is
    parsed, the rest only when a pointer below them is asked for (a problem to report).

    Scanning everything costs ten times what ``json.loads`` does, and a problem-free load
    needs only the stubs' own lines; the deeper values are skipped by the C scanner.
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text: str | None = text
        _JsonScan(text, self, SHALLOW_DEPTH).scan()

    def __contains__(self, ptr: object) -> bool:
        if dict.__contains__(self, ptr):
            return True
        text = self._text
        if text is None:
            return False
        self._text = None  # once: the whole scan records every pointer there is
        _JsonScan(text, self, None).scan()
        return dict.__contains__(self, ptr)


_skip_value: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""The decoder's C scanner: one JSON value from an index, and the index after it."""


class _JsonScan:
    """Walks JSON text already accepted by ``json.loads`` and records pointer lines, down
    to ``depth`` levels (all of them when None)."""

    def __init__(self, text: str, lines: Lines, depth: int | None) -> None:
        self.text = text
        self.pos = 0
        self.lines = lines
        self.depth = depth
        self._counted = 0
        """Where ``_line_at`` last counted to (the scan only moves forward)."""
        self._line_at = 1

    def scan(self) -> None:
        self._skip_ws()
        self.lines[""] = self._line()
        self._value("", 0)

    def _line(self) -> int:
        self._line_at += self.text.count("\n", self._counted, self.pos)
        self._counted = self.pos
        return self._line_at

    def _skip_ws(self) -> None:
        match = _WS.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos

    def _value(self, ptr: str, level: int) -> None:
        char = self.text[self.pos]
        if char in "{[" and self.depth is not None and level >= self.depth:
            self.pos = _skip_value(self.text, self.pos)[1]
        elif char == "{":
            self._object(ptr, level + 1)
        elif char == "[":
            self._array(ptr, level + 1)
        elif char == '"':
            _, self.pos = scanstring(self.text, self.pos + 1)
        else:
            match = _ATOM.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos + 1

    def _object(self, ptr: str, level: int) -> None:
        self.pos += 1
        while True:
            self._skip_ws()
            if self.text[self.pos] == "}":
                self.pos += 1
                return
            if self.text[self.pos] == ",":
                self.pos += 1
                continue
            line = self._line()
            key, self.pos = scanstring(self.text, self.pos + 1)
            self._skip_ws()
            self.pos += 1  # the ':'
            self._skip_ws()
            sub = child(ptr, key)
            self.lines[sub] = line
            self._value(sub, level)

    def _array(self, ptr: str, level: int) -> None:
        self.pos += 1
        index = 0
        while True:
            self._skip_ws()
            if self.text[self.pos] == "]":
                self.pos += 1
                return
            if self.text[self.pos] == ",":
                self.pos += 1
                continue
            sub = child(ptr, index)
            self.lines[sub] = self._line()
            self._value(sub, level)
            index += 1
