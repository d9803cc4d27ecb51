"""Handlebars source -> a small AST (load time only).

Covers what WireMock templates use: ``{{expr}}``, ``{{{raw}}}``/``{{&raw}}``, comments,
blocks (``{{#name ...}}``, ``{{^name}}``, ``{{else}}``, ``{{else if ...}}``), block
parameters (``{{#each xs as |x i|}}``), paths with ``this``, ``../``, ``@data`` and
``[bracket]`` segments, literals, subexpressions and hash arguments. Whitespace control
is WireMock 3.13's (checked against the jar): no Mustache standalone-line rule, ``~``
ignored on plain mustaches, and on blocks only the inner side counts: ``{{#if x~}}``
strips the start of the body, ``{{~/if}}``/``{{~else}}`` the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Block",
    "Call",
    "HandlebarsSyntaxError",
    "Literal",
    "Mustache",
    "Node",
    "Path",
    "Text",
    "parse",
]


class HandlebarsSyntaxError(ValueError):
    """A template that does not parse; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"handlebars template error (line {line}): {message}")
        self.line = line


@dataclass(frozen=True, slots=True)
class Path:
    """``a.b``, ``this``, ``../x``, ``@index``: ``up`` counts ``../``; ``data`` is ``@``."""

    parts: tuple[str, ...]
    up: int = 0
    this: bool = False
    data: bool = False


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class Call:
    """``name params... key=value...``; a bare path is a Call with no arguments."""

    target: Path
    params: tuple[Expr, ...] = ()
    hash: tuple[tuple[str, Expr], ...] = ()
    line: int = 1


Expr = Path | Literal | Call


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Mustache:
    expr: Call | Literal


@dataclass(slots=True)
class Block:
    """``{{#call}}body{{else}}inverse{{/name}}``; ``inverted`` for ``{{^name}}``. An
    ``{{else if ...}}`` chain is an inverse holding one nested Block. ``params`` are the
    block parameters' names (``as |item index|``)."""

    call: Call
    body: list[Node] = field(default_factory=list)
    inverse: list[Node] | None = None
    inverted: bool = False
    params: tuple[str, ...] = ()


Node = Text | Mustache | Block

_TAG = re.compile(r"\{\{(~?)(\{?)")
_COMMENT_LONG = re.compile(r"!--(.*?)--(~?)\}\}", re.DOTALL)
_COMMENT = re.compile(r"!(.*?)(~?)\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<open>\() | (?P<close>\)) |
      (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") |
      (?P<num>-?\d+(?:\.\d+)?(?=[\s)]|$)) |
      (?P<key>[A-Za-z_$][\w$-]*)= |
      (?P<path>@?(?:\.\./)*(?:@?(?:\[[^\]]*\]|[^\s()=.\[/]+|\.(?=[\s)]|$))(?:[./](?:\[[^\]]*\]|[^\s()=.\[/]+))*))
    )""",
    re.VERBOSE,
)


_BLOCK_PARAMS = re.compile(r"(?<=[\s)])as\s*\|([^|]*)\|\s*$")
_PARAM_NAME = re.compile(r"[^\s()=.\[\]/|'\"]+")


@dataclass(slots=True)
class _Tag:
    kind: str  # "{", "&", "#", "^", "/", "else", "" (plain), "!"
    content: str
    strip_before: bool
    strip_after: bool
    line: int
    start: int
    end: int


_QUOTE = re.compile(r"['\"]")
_STRING_END = {"'": re.compile(r"(?<!\\)'"), '"': re.compile(r'(?<!\\)"')}
"""Where a string literal opened by that quote ends (a quote not escaped by a backslash)."""


def _line_of(source: str, index: int) -> int:
    return source.count("\n", 0, index) + 1


def _close_of(source: str, inner: int) -> int:
    """Where the ``}}`` closing a tag that starts at ``inner`` is: the first one outside
    a string literal (``'{"a":{"b":1}}'`` holds one, as Handlebars.js and Handlebars.java
    lex it), or -1. A quote left open counts as text, as a plain search did."""
    plain = source.find("}}", inner)
    quote = _QUOTE.search(source, inner)
    if quote is None or plain < 0 or plain < quote.start():
        return plain
    pos = inner
    while True:
        quote = _QUOTE.search(source, pos)
        close = source.find("}}", pos)
        if quote is None or close < 0 or close < quote.start():
            return close
        end = _STRING_END[quote.group()].search(source, quote.end())
        if end is None:  # never closed: not a string after all
            return plain
        pos = end.end()


def _scan(source: str) -> list[str | _Tag]:
    """Split into text and tags."""
    out: list[str | _Tag] = []
    pos = 0
    while True:
        match = _TAG.search(source, pos)
        if match is None:
            out.append(source[pos:])
            return out
        start = match.start()
        out.append(source[pos:start])
        line = _line_of(source, start)
        strip_before = match.group(1) == "~"
        inner = match.end()
        if match.group(2):  # triple stash
            close = source.find("}}}", inner)
            if close < 0:
                raise HandlebarsSyntaxError("unclosed '{{{'", line)
            content = source[inner:close]
            strip_after = content.endswith("~")
            out.append(
                _Tag("&", content.rstrip("~"), strip_before, strip_after, line, start, close + 3)
            )
            pos = close + 3
            continue
        comment = _COMMENT_LONG.match(source, inner) or _COMMENT.match(source, inner)
        if comment is not None:
            end = comment.end()
            out.append(_Tag("!", "", strip_before, comment.group(2) == "~", line, start, end))
            pos = end
            continue
        close = _close_of(source, inner)
        if close < 0:  # Handlebars.java prints an unclosed '{{' as text
            out[-1] = str(out[-1]) + source[start:]
            return out
        content = source[inner:close]
        strip_after = content.endswith("~")
        if strip_after:
            content = content[:-1]
        kind = ""
        stripped = content.strip()
        if stripped[:1] in ("#", "^", "/", "&", ">"):
            kind, content = stripped[0], stripped[1:]
            if kind == "^" and not content.strip():
                kind, content = "else", ""
        elif stripped == "else" or stripped.startswith("else "):
            kind, content = "else", stripped[4:]
        if kind == ">":
            raise HandlebarsSyntaxError("partials are not supported", line)
        out.append(_Tag(kind, content, strip_before, strip_after, line, start, close + 2))
        pos = close + 2


def _parse_expr_tokens(content: str, line: int) -> Call | Literal:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(content):
        if not content[pos:].strip():
            break
        match = _TOKEN.match(content, pos)
        if match is None or match.end() == pos:
            raise HandlebarsSyntaxError(f"unexpected {content[pos:].strip()[:20]!r}", line)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    if not tokens:
        raise HandlebarsSyntaxError("empty expression", line)
    position = 0

    def atom() -> Expr:
        nonlocal position
        kind, text = tokens[position]
        position += 1
        if kind == "open":
            call = sequence(inner=True)
            if position >= len(tokens) or tokens[position][0] != "close":
                raise HandlebarsSyntaxError("unclosed '('", line)
            position += 1
            return call
        if kind == "str":
            return Literal(_unquote(text))
        if kind == "num":
            return Literal(float(text) if "." in text else int(text))
        if kind == "path":
            literal = {"true": True, "false": False, "null": None, "undefined": None}
            if text in literal:
                return Literal(literal[text])
            return _path(text, line)
        raise HandlebarsSyntaxError(f"unexpected {text!r}", line)

    def sequence(inner: bool) -> Call:
        nonlocal position
        if position >= len(tokens) or tokens[position][0] != "path":
            raise HandlebarsSyntaxError("expected a helper or path", line)
        target = atom()
        if not isinstance(target, Path):  # `(true)`, `(null)`: a literal names no helper
            raise HandlebarsSyntaxError(
                f"found {tokens[position - 1][1]!r}, expected a helper name", line
            )
        params: list[Expr] = []
        hash_args: list[tuple[str, Expr]] = []
        while position < len(tokens) and tokens[position][0] != "close":
            kind, text = tokens[position]
            if kind == "key":
                position += 1
                if position >= len(tokens):
                    raise HandlebarsSyntaxError(f"missing value for {text}=", line)
                hash_args.append((text, atom()))
            elif hash_args:
                raise HandlebarsSyntaxError("positional argument after hash arguments", line)
            else:
                params.append(atom())
        if not inner and position < len(tokens):
            raise HandlebarsSyntaxError("unexpected ')'", line)
        return Call(target, tuple(params), tuple(hash_args), line)

    kind = tokens[0][0]
    if kind in ("str", "num") or (kind == "path" and tokens[0][1] in ("true", "false")):
        # Handlebars.java refuses a lone literal as a mustache
        raise HandlebarsSyntaxError(f"found {tokens[0][1]!r}, expected an identifier", line)
    return sequence(inner=False)


def _block_head(content: str, line: int) -> tuple[Call, tuple[str, ...]]:
    """A block's opening expression and its block parameters (``as |x y|``, as
    Handlebars.java reads them: the last thing in the tag)."""
    params: tuple[str, ...] = ()
    found = _BLOCK_PARAMS.search(content)
    if found is not None:
        names = found.group(1).split()
        if not names or not all(_PARAM_NAME.fullmatch(n) for n in names):
            raise HandlebarsSyntaxError(f"bad block parameters |{found.group(1)}|", line)
        params, content = tuple(names), content[: found.start()]
    call = _parse_expr_tokens(content, line)
    if not isinstance(call, Call):
        raise HandlebarsSyntaxError("a block needs a helper or path", line)
    return call, params


def _unquote(text: str) -> str:
    """Handlebars.java unescapes only the quote itself (``'it\\'s'``); ``\\w`` stays."""
    quote = text[0]
    return text[1:-1].replace("\\" + quote, quote)


def _path(text: str, line: int) -> Path:
    data = text.startswith("@")
    if data:
        text = text[1:]
    up = 0
    while text.startswith("../"):
        up += 1
        text = text[3:]
    if text.startswith("@"):
        data, text = True, text[1:]
    parts = [p[1:-1] if p.startswith("[") else p for p in re.findall(r"\[[^\]]*\]|[^./]+", text)]
    this = False
    if parts and parts[0] in ("this", "."):
        this = True
        parts = parts[1:]
    elif text == ".":
        this, parts = True, []
    if not parts and not this:
        raise HandlebarsSyntaxError(f"bad path {text!r}", line)
    return Path(tuple(parts), up, this, data)


def parse(source: str) -> list[Node]:
    """The AST of a template; raises ``HandlebarsSyntaxError``."""
    items = _scan(source)  # no whitespace control: WireMock ignores ``~`` and standalone lines
    root: list[Node] = []
    stack: list[tuple[Block, list[Node], str, int]] = []  # block, where to append, name, depth
    current = root
    strip_next = False
    for i, item in enumerate(items):
        if i % 2 == 0:
            assert isinstance(item, str)
            text = item.lstrip() if strip_next else item
            if text:
                current.append(Text(text))
            continue
        assert isinstance(item, _Tag)
        strip_next = False
        if item.kind == "!":
            if item.strip_before:
                raise HandlebarsSyntaxError("found '!' after '~'", item.line)
            continue
        if item.kind in ("else", "/") and item.strip_before:
            _strip_end(current)
        strip_next = item.strip_after and item.kind in ("#", "^", "else")
        if item.kind in ("", "&", "{"):
            current.append(Mustache(_parse_expr_tokens(item.content, item.line)))
        elif item.kind in ("#", "^"):
            call, params = _block_head(item.content, item.line)
            block = Block(call, inverted=item.kind == "^", params=params)
            current.append(block)
            stack.append((block, current, _name(call), 0))
            current = block.body
        elif item.kind == "else":
            if not stack:
                raise HandlebarsSyntaxError("'else' outside a block", item.line)
            block, parent, name, depth = stack[-1]
            if block.inverse is not None and not item.content.strip():
                raise HandlebarsSyntaxError("a second 'else'", item.line)
            block.inverse = []
            if item.content.strip():  # else if ... : a nested block sharing the close tag
                call, params = _block_head(item.content, item.line)
                nested = Block(call, params=params)
                block.inverse.append(nested)
                stack.append((nested, block.inverse, name, depth + 1))
                current = nested.body
            else:
                current = block.inverse
        elif item.kind == "/":
            name = item.content.strip()
            if not stack:
                raise HandlebarsSyntaxError(f"'{{{{/{name}}}}}' closes nothing", item.line)
            while stack and stack[-1][3] > 0:
                stack.pop()
            block, parent, opened, _ = stack.pop()
            if name != opened:
                raise HandlebarsSyntaxError(f"'{opened}' closed by '{name}'", item.line)
            current = parent
    if stack:
        raise HandlebarsSyntaxError(
            f"'{{{{#{stack[-1][2]}}}}}' is not closed", _line_of(source, len(source))
        )
    return root


def _strip_end(nodes: list[Node]) -> None:
    """``{{~/name}}`` / ``{{~else}}``: the section ends without trailing whitespace."""
    if nodes and isinstance(nodes[-1], Text):
        stripped = nodes[-1].value.rstrip()
        if stripped:
            nodes[-1] = Text(stripped)
        else:
            nodes.pop()


def _name(call: Call) -> str:
    target = call.target
    prefix = "../" * target.up + ("@" if target.data else "")
    parts = (["this"] if target.this else []) + list(target.parts)
    return prefix + ".".join(parts)
