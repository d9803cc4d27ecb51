"""Mockoon's route paths -> a native ``path`` or ``path_regex``.

Mockoon 9 prepares ``/{endpointPrefix}/{endpoint}`` (slashes deduplicated, spaces as
``%20``), rewrites Express 4 syntax into path-to-regexp 8's (``*`` -> ``*wildcardN``,
``(s)?`` and ``(s)`` -> ``{s}``, ``:id?`` -> ``{/:id}``, ``:p+`` -> ``*p``...) and matches
with path-to-regexp 8: case-insensitively, a trailing slash allowed, ``:name`` one run of
characters up to the next ``/``, ``*name`` one or more characters across segments,
``{...}`` optional. Paths made only of literal text and whole-segment parameters become
a native ``path`` (indexed, the fast kind; matched case-sensitively, without the extra
trailing slash); every other becomes a ``path_regex`` that matches as Mockoon does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID_START = re.compile(r"[$_A-Za-z]")
_ID_CONTINUE = re.compile(r"[$_A-Za-z0-9]")
_RESERVED = "()[]?+!"


@dataclass(frozen=True, slots=True)
class RoutePath:
    """Where a route answers: exactly one of ``path`` and ``regex``; ``params`` are its
    parameter names as Mockoon names them, ``groups`` the regex's names for them."""

    path: str | None
    regex: str | None
    params: tuple[str, ...]
    groups: dict[str, str]
    unnamed: str = ""
    """The regex Mockoon matches with, without group names (to join with others')."""

    def native(self) -> dict[str, str]:
        """The endpoint keys for this path."""
        return {"path": self.path} if self.path is not None else {"path_regex": str(self.regex)}


def prepared(prefix: str, endpoint: str) -> str:
    """``preparePath``'s text before the syntax rewrite: the path as Mockoon shows it."""
    return re.sub(r"/{2,}", "/", f"/{prefix}/{endpoint.replace(' ', '%20')}")


def express5(path: str) -> str:
    """``express5PathConvert`` of ``@mockoon/commons`` 9.9, rule by rule."""
    counter = iter(range(1_000_000))
    path = re.sub(r"(^|/)\*(?![A-Za-z0-9_\"])", lambda m: f"{m[1]}*wildcard{next(counter)}", path)
    path = re.sub(r"(?<!\\)\(([^)]+)\)\?", r"{\1}", path)
    path = re.sub(r"(?<!\\)\(([^)]+)\)", r"{\1}", path)
    path = re.sub(r"([/.~-]):([A-Za-z_$][A-Za-z0-9_$]*)\?", r"{\1:\2}", path)
    path = re.sub(r":([A-Za-z_$][A-Za-z0-9_$]*)\+", r"*\1", path)
    path = re.sub(r"/:([A-Za-z_$][A-Za-z0-9_$]*)\*", r"{/*\1}", path)
    path = re.sub(r"(?<!\\)([a-zA-Z0-9_])\?", r"{\1}", path)
    return re.sub(r"(?<!\\)([a-zA-Z0-9_])\+", r"\1{\1}", path)


def route_path(prefix: str, endpoint: str) -> RoutePath:
    """The native form of a route's path; ``ValueError`` for a path path-to-regexp 8
    refuses (Mockoon logs it and never serves the route)."""
    shown = prepared(prefix, endpoint)
    tokens = _tokens(express5(shown))
    params = tuple(value for kind, value in _flat(tokens) if kind in (":", "*"))
    unnamed = f"(?:{_regex(tokens, None, [''], [False])})/?"
    simple = _simple(tokens)
    if simple is not None:
        return RoutePath(simple, None, params, {}, unnamed)
    groups: dict[str, str] = {}
    body = _regex(tokens, groups, [""], [False])
    return RoutePath(None, f"(?i)(?:{body})/?", params, groups, unnamed)


Token = tuple[str, "str | list[Token]"]


def _tokens(text: str) -> list[Token]:
    """path-to-regexp 8's lexer and parser: text, ``:param``, ``*wildcard`` and
    ``{optional}`` groups; ``ValueError`` where it raises a ``TypeError``."""
    stack: list[list[Token]] = [[]]
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            _text(stack[-1], text[i + 1])
            i += 2
            continue
        if char in ":*":
            name, i = _name(text, i + 1)
            if not name:
                raise ValueError(f"missing parameter name at index {i}")
            stack[-1].append((char, name))
            continue
        if char == "{":
            stack.append([])
        elif char == "}":
            if len(stack) == 1:
                raise ValueError(f"unexpected '}}' at index {i}")
            group = stack.pop()
            stack[-1].append(("{", group))
        elif char in _RESERVED:
            raise ValueError(f"unexpected {char!r} at index {i}")
        else:
            _text(stack[-1], char)
        i += 1
    if len(stack) > 1:
        raise ValueError(f"unterminated '{{' at index {len(text)}")
    return stack[0]


def _text(tokens: list[Token], char: str) -> None:
    if tokens and tokens[-1][0] == "":
        tokens[-1] = ("", str(tokens[-1][1]) + char)
    else:
        tokens.append(("", char))


def _name(text: str, i: int) -> tuple[str, int]:
    if i < len(text) and text[i] == '"':
        end = text.find('"', i + 1)
        if end < 0:
            raise ValueError(f"unterminated quote at index {i}")
        return text[i + 1 : end], end + 1
    start = i
    if i < len(text) and _ID_START.match(text[i]):
        i += 1
        while i < len(text) and _ID_CONTINUE.match(text[i]):
            i += 1
    return text[start:i], i


def _flat(tokens: list[Token]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for kind, value in tokens:
        if isinstance(value, list):
            found.extend(_flat(value))
        else:
            found.append((kind, value))
    return found


def _simple(tokens: list[Token]) -> str | None:
    """The native ``path`` of literal text and ``:params`` that each fill a segment, or
    None when the path needs a regex (groups, wildcards, parameters inside a segment)."""
    parts: list[str] = []
    for index, (kind, value) in enumerate(tokens):
        if kind == "":
            text = str(value)
            if any(c in text for c in "{}*") or re.search(r"[^\x21-\x7e ]", text):
                return None
            parts.append(text)
        elif kind == ":":
            before = str(tokens[index - 1][1]) if index else ""
            after = tokens[index + 1] if index + 1 < len(tokens) else None
            if not before.endswith("/") or (after is not None and not str(after[1])[:1] == "/"):
                return None
            if not str(value).isidentifier():
                return None
            parts.append(f"{{{value}}}")
        else:
            return None
    return "".join(parts) or "/"


def _regex(
    tokens: list[Token], groups: dict[str, str] | None, back: list[str], safe: list[bool]
) -> str:
    """path-to-regexp 8's ``toRegExp`` for one sequence (an optional group in place)."""
    out = []
    for kind, value in tokens:
        if isinstance(value, list):
            out.append(f"(?:{_regex(value, groups, back, safe)})?")
        elif kind == "":
            out.append(re.escape(value))
            back[0] += value
            safe[0] = safe[0] or "/" in value
        else:
            if not safe[0] and not back[0]:
                raise ValueError(f'missing text before "{value}"')
            named = f"?P<{_group(value, groups)}>" if groups is not None else "?:"
            if kind == ":":
                tail = "" if safe[0] else back[0]
                out.append(f"({named}{_negate(tail)}+)")
            else:
                out.append(f"({named}[\\s\\S]+)")
            back[0], safe[0] = "", False
    return "".join(out)


def _negate(tail: str) -> str:
    if len(tail) < 2:
        return f"[^{re.escape('/' + tail)}]"
    return f"(?:(?!{re.escape(tail)})[^/])"


def _group(name: str, groups: dict[str, str]) -> str:
    """A Python group name for a Mockoon parameter (``$`` is not allowed in one)."""
    if name in groups:
        return groups[name]
    base = re.sub(r"\W", "_", name)
    base = base if base[:1].isalpha() or base[:1] == "_" else f"p_{base}"
    group = base
    while group in groups.values():
        group += "_"
    groups[name] = group
    return group
