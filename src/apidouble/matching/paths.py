"""Path templates, compiled once: ``/api/users/{id}``, ``*``, ``**`` and ``path_regex``.

- ``{name}`` is one non-empty segment, captured; it may sit inside a segment
  (``/files/{name}.{ext}``).
- ``*`` is exactly one non-empty segment, not captured.
- ``**`` is the rest of the path, zero or more segments, not captured; only last.
- ``path_regex`` is a full match on the path as sent; named groups become params.

Literal text is compared percent-decoded on both sides and params are percent-decoded.
A trailing slash is significant: ``/a/`` and ``/a`` are different paths (as in WireMock).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple
from urllib.parse import unquote

from apidouble.matching.result import Check, MatchResult
from apidouble.openapi.regexbound import bounded_pattern

Params = dict[str, str]

_PARAM = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Segment ranks: lower is more specific.
_LITERAL, _MIXED, _PARAM_RANK, _STAR, _REST = 0, 1, 2, 3, 4

Segment = Callable[[str, Params], bool]
"""Matches one decoded request segment, recording captures in the dict."""


def decode(path: str) -> str:
    """Percent-decode a path, skipping the work when there is nothing to decode."""
    return unquote(path) if "%" in path else path


def path_segments(path: str) -> list[str]:
    """The decoded segments of a path that starts with "/" (``"/"`` has one, ``""``)."""
    parts = path[1:].split("/")
    return [unquote(part) for part in parts] if "%" in path else parts


class PathShape(NamedTuple):
    """A template's graded segments: the decoded literal, or None where it varies."""

    literals: tuple[str | None, ...]
    rest: bool


class CompiledPath:
    """A compiled path condition: exact literal, template or regex.

    ``literal`` is the whole (decoded) path when it has no variables, the router's exact
    index key. ``literal_prefix`` is the static part before the first variable.
    ``specificity`` sorts more specific paths first. ``shape`` (None for a regex) is the
    decoded literal of each graded segment (None for a variable one) and whether ``**``
    ends the template: what the near-miss index needs to bound ``explain`` cheaply.
    """

    __slots__ = (
        "source",
        "literal",
        "literal_prefix",
        "specificity",
        "is_regex",
        "shape",
        "_match",
        "_grade",
    )

    def __init__(
        self,
        source: str,
        literal: str | None,
        literal_prefix: str,
        specificity: tuple[int, ...],
        match: Callable[[str], Params | None],
        grade: Callable[[str], float] | None = None,
        shape: PathShape | None = None,
    ) -> None:
        self.source = source
        self.literal = literal
        self.literal_prefix = literal_prefix
        self.specificity = specificity
        self.is_regex = grade is None
        self.shape = shape
        self._match = match
        self._grade = grade

    def match(self, path: str) -> Params | None:
        """The captured params (decoded) when ``path`` matches, else None."""
        return self._match(path)

    def explain(self, path: str) -> MatchResult:
        """Graded segment by segment, so ``/api/user/1`` is near ``/api/users/{id}``.

        Cheap on purpose (no difflib): a 404 explains the request against every stub.
        """
        passed = self._match(path) is not None
        condition = "path regex" if self._grade is None else "path"
        check = Check(condition, passed, self.source, path)
        if passed or self._grade is None:
            return MatchResult.of(check)
        return MatchResult.of(check, self._grade(path))

    def __repr__(self) -> str:
        return f"CompiledPath({self.source!r})"


def compile_path(template: str) -> CompiledPath:
    """Compile a path template; raise ``ValueError`` when it is malformed."""
    if not template.startswith("/"):
        raise ValueError(f"path {template!r} must start with '/'")
    parts = template[1:].split("/")
    names: set[str] = set()
    graded: list[tuple[Segment, str | None]] = []
    if not any(_is_variable(part) for part in parts):
        literal = decode(template)
        specificity = (0, -len(parts), *([_LITERAL] * len(parts)))
        graded = [(_compile_segment(part, names, template)[0], decode(part)) for part in parts]
        shape = PathShape(tuple(text for _, text in graded), False)
        match = _literal(literal)
        grade = _grader(graded, False)
        return CompiledPath(template, literal, literal, specificity, match, grade, shape)
    segments: list[Segment] = []
    ranks: list[int] = []
    prefix: list[str] = []
    sources: list[str] = []
    rest = False
    for index, part in enumerate(parts):
        if part == "**":
            if index != len(parts) - 1:
                raise ValueError(f"path {template!r}: '**' may only be the last segment")
            rest = True
            ranks.append(_REST)
            continue
        segment, rank, source = _compile_segment(part, names, template)
        sources.append(source)
        segments.append(segment)
        ranks.append(rank)
        graded.append((segment, decode(part) if rank == _LITERAL else None))
        if rank == _LITERAL and len(prefix) == index:
            prefix.append(decode(part))
    literal_prefix = "/" + "/".join(prefix) if prefix else ""
    literals = ranks.count(_LITERAL)
    specificity = (0, -literals, *ranks)
    fast = "/" + "/".join(sources)
    if rest:
        fast = fast + "(?:/.*)?" if sources else "/.*"
    match = _template(segments, rest, fast)
    shape = PathShape(tuple(text for _, text in graded), rest)
    grade = _grader(graded, rest)
    return CompiledPath(template, None, literal_prefix, specificity, match, grade, shape)


def compile_path_regex(pattern: str) -> CompiledPath:
    """Compile a ``path_regex`` (full match); named groups become params. A pattern that
    can backtrack badly runs bounded in time, as the other matchers' regexes do (a path
    it gives up on does not match)."""
    try:
        fullmatch = bounded_pattern(pattern).fullmatch_found
    except re.error as error:
        raise ValueError(f"invalid path_regex {pattern!r}: {error}") from None

    def match(path: str) -> Params | None:
        found = fullmatch(path)
        if found is None:
            return None
        return {k: decode(v) for k, v in found.groupdict().items() if v is not None}

    return CompiledPath(pattern, None, "", (1,), match)


def _is_variable(part: str) -> bool:
    return part in ("*", "**") or "{" in part or "}" in part


def _compile_segment(part: str, names: set[str], template: str) -> tuple[Segment, int, str]:
    """The segment matcher, its specificity rank, and its regex for the whole-path match."""
    if part == "*":
        return (lambda value, _params: bool(value)), _STAR, "[^/]+"
    if "{" not in part and "}" not in part:
        literal = decode(part)
        return (lambda value, _params: value == literal), _LITERAL, re.escape(literal)
    whole = _PARAM.fullmatch(part)
    if whole is not None:
        name = _param_name(whole.group(1), names, template)

        def capture(value: str, params: Params) -> bool:
            if not value:
                return False
            params[name] = value
            return True

        return capture, _PARAM_RANK, f"(?P<{name}>[^/]+)"
    segment, source = _compile_mixed(part, names, template)
    return segment, _MIXED, source


def _compile_mixed(part: str, names: set[str], template: str) -> tuple[Segment, str]:
    """A segment mixing text and params, such as ``{name}.{ext}`` or ``v{major}``.

    Returns the segment matcher and the regex source for the whole-path match.
    """
    pieces: list[str] = []  # (?P<name>) placeholders filled below, once per form
    last = 0
    for found in _PARAM.finditer(part):
        pieces.append(re.escape(decode(part[last : found.start()])))
        pieces.append(f"(?P<{_param_name(found.group(1), names, template)}>{{}})")
        last = found.end()
    tail = part[last:]
    if "{" in tail or "}" in tail or any("{" in p and "(?P<" not in p for p in pieces):
        raise ValueError(f"path {template!r}: unbalanced braces in segment {part!r}")
    pieces.append(re.escape(decode(tail)))
    compiled = re.compile(_fill(pieces, ".+?"), re.DOTALL)

    def match(value: str, params: Params) -> bool:
        found = compiled.fullmatch(value)
        if found is None:
            return False
        params.update(found.groupdict())
        return True

    return match, _fill(pieces, "[^/]+?")


def _fill(pieces: list[str], group: str) -> str:
    return "".join(p.format(group) if p.startswith("(?P<") else p for p in pieces)


def _param_name(name: str, names: set[str], template: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"path {template!r}: invalid parameter name {{{name}}}")
    if name in names:
        raise ValueError(f"path {template!r}: parameter {{{name}}} appears twice")
    names.add(name)
    return name


def _literal(literal: str) -> Callable[[str], Params | None]:
    def match(path: str) -> Params | None:
        return {} if decode(path) == literal else None

    return match


def _template(segments: list[Segment], rest: bool, source: str) -> Callable[[str], Params | None]:
    """Match by one regex (C speed) unless the path is percent-encoded, then by segment.

    The regex (built from escaped literals and checked names, so it cannot be invalid) is
    compiled on first use: loading 10,000 templated stubs would otherwise spend seconds
    in ``re.compile`` for paths most runs never see."""
    count = len(segments)
    fast: re.Pattern[str] | None = None

    def match(path: str) -> Params | None:
        nonlocal fast
        if "%" not in path:
            if fast is None:
                fast = re.compile(source, re.DOTALL)
            found = fast.fullmatch(path)
            return None if found is None else found.groupdict()
        if not path.startswith("/"):
            return None
        values = path_segments(path)
        if len(values) != count and not (rest and len(values) >= count):
            return None
        params: Params = {}
        for segment, value in zip(segments, values, strict=False):
            if not segment(value, params):
                return None
        return params

    return match


def _grader(parts: Sequence[tuple[Segment, str | None]], rest: bool) -> Callable[[str], float]:
    """Distance by segments: a missing or extra segment costs 1, a near literal less."""
    count = len(parts)

    def grade(path: str) -> float:
        if not path.startswith("/"):
            return 1.0
        values = path_segments(path)
        extra = len(values) - count
        absorbed = rest and extra >= 0
        cost = 0.0 if absorbed else float(abs(extra))
        for (segment, literal), value in zip(parts, values, strict=False):
            if not segment(value, {}):
                # A wrong literal costs at least half a segment, however close.
                cost += 1.0 if literal is None else 1.0 - similarity(literal, value) / 2
        return cost / max(count if absorbed else max(count, len(values)), 1)

    return grade


def similarity(a: str, b: str) -> float:
    """Shared prefix and suffix over the longer length: cheap, and enough for typos."""
    longest = max(len(a), len(b))
    if not longest:
        return 1.0
    limit = min(len(a), len(b))
    prefix = 0
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return (prefix + suffix) / longest
