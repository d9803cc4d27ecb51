"""Regular expressions from a spec or a config, run with a bound: a hostile pattern
(``(a+)+$``) must not hang the server.

Python's ``re`` has no timeout, so patterns that can backtrack badly run on the ``regex``
engine with a time bound: past it the value counts as not matching, the pattern is
logged once and ``timeouts()`` counts it. A pattern is *risky* when it holds a quantified
group that itself holds a quantifier or an alternation, a backreference (both
exponential on ``re``), or two unbounded quantifiers (``.*a.*``: polynomial, which a long
body turns into minutes). Every other pattern runs on ``re``: linear at worst, and
several times faster than ``regex`` on the short values headers and queries hold.

Spec patterns (``bounded_search``) use ``PATTERN_TIMEOUT``; config matchers
(``BoundedPattern``) use ``MATCH_TIMEOUT``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import TypeAlias

import regex

__all__ = [
    "MATCH_TIMEOUT",
    "PATTERN_TIMEOUT",
    "BoundedPattern",
    "Found",
    "bounded_pattern",
    "bounded_search",
    "risky",
    "timeouts",
]
# --- patterns: a spec's regex must not hang the server ------------------------------------

PATTERN_TIMEOUT = 0.1
"""Seconds a risky pattern may take on one value before it counts as not matching."""
MATCH_TIMEOUT = 0.05
"""Seconds a config matcher's risky ``regex`` may take on one value (a header, a query
parameter, the body) before the value counts as not matching. ``regex`` looks at its
clock now and then, so a give-up takes two to three times this (0.1 to 0.15 s)."""

Found: TypeAlias = "re.Match[str] | regex.Match[str]"
"""A match, from ``re`` or (for a risky pattern) from ``regex``."""

_log = logging.getLogger("apidouble")
_timed_out: dict[str, int] = {}


def timeouts() -> dict[str, int]:
    """Patterns that gave up on a value since the process started, with how often (a
    copy; what a metrics scrape reads)."""
    return dict(_timed_out)


def _gave_up(pattern: str, seconds: float) -> None:
    if pattern not in _timed_out:
        _log.warning(
            "regex %r gave up on a value after %.2f s (counted as not matching)", pattern, seconds
        )
    _timed_out[pattern] = _timed_out.get(pattern, 0) + 1


def risky(pattern: str, searching: bool = False) -> bool:
    """Whether a pattern can backtrack catastrophically: a quantified group that itself
    holds a quantifier or an alternation (``(a+)+``, ``(a|aa)*``), or a backreference.
    Two unbounded quantifiers (``.*a.*``) count too: polynomial is minutes on a long body.
    A *search* with one (``a*x``) is quadratic, as ``re`` retries it at every position.
    The rest run on ``re``: linear at worst."""
    stack: list[bool] = []  # per open group: does it hold a quantifier or "|"?
    index, size = 0, len(pattern)
    after_group = False
    unbounded = 0
    while index < size:
        char = pattern[index]
        if char == "\\":
            if index + 1 < size and pattern[index + 1].isdigit() and pattern[index + 1] != "0":
                return True
            index += 2
            after_group = False
            continue
        if char == "[":
            end = index + 1
            while end < size and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            index = end + 1
            after_group = False
            continue
        quantifier = char in "*+" or (
            char == "{" and re.match(r"\{\d*,\d*\}|\{\d+\}", pattern[index:])
        )
        if quantifier:
            if after_group:
                return True
            if char in "*+" or re.match(r"\{\d*,\}", pattern[index:]):
                unbounded += 1
            if unbounded > (0 if searching else 1):
                return True
            if stack:
                stack[-1] = True
        elif char == "|" and stack:
            stack[-1] = True
        if char == "(":
            stack.append(False)
            after_group = False
        elif char == ")":
            inner = stack.pop() if stack else False
            if inner and stack:
                stack[-1] = True
            after_group = inner
        elif not quantifier and char != "?":
            after_group = False
        index += 1
    return False


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> tuple[re.Pattern[str] | None, regex.Pattern[str] | None]:
    """``re``'s form, and ``regex``'s for a risky pattern (None for a safe one)."""
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None, None
    if not risky(pattern, searching=True):
        return compiled, None
    try:
        return compiled, regex.compile(pattern)
    except (regex.error, RecursionError, OverflowError):
        return None, None


def bounded_search(pattern: str, text: str, timeout: float | None = None) -> bool:
    """``re.search`` with a time bound for risky patterns; a pattern Python cannot
    compile matches everything (Prism's Ajv would reject the spec's schema instead)."""
    plain, bounded = _compiled(pattern)
    if plain is None:
        return True
    if bounded is None:
        return plain.search(text) is not None
    try:
        found = bounded.search(text, timeout=PATTERN_TIMEOUT if timeout is None else timeout)
    except TimeoutError:
        return False
    return found is not None


class BoundedPattern:
    """A config matcher's regex, compiled once: ``re`` for a safe pattern, ``regex`` with
    ``MATCH_TIMEOUT`` for a risky one (see ``risky``). Past the bound a value does not
    match."""

    __slots__ = ("pattern", "fullmatch", "search", "fullmatch_found", "search_found")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        plain = re.compile(pattern, flags)  # re.error for a bad pattern, as before
        bounded = None
        if risky(pattern, searching=True):
            try:
                bounded = regex.compile(pattern, _regex_flags(flags))
            except (regex.error, RecursionError, OverflowError):
                bounded = None  # a pattern only ``re`` reads: it runs unbounded
        self.fullmatch: Callable[[str], bool]
        self.search: Callable[[str], bool]
        self.fullmatch_found: Callable[[str], Found | None]
        """The full match itself (None for a miss): a ``path_regex``'s named groups."""
        self.search_found: Callable[[str], Found | None]
        """The first match itself (None for a miss): what a template extracts."""
        if bounded is None:
            self.search = lambda text: plain.search(text) is not None
            self.search_found = lambda text: plain.search(text)
        else:
            search = self._bounded(bounded.search)
            self.search_found = search
            self.search = lambda text: search(text) is not None
        if bounded is None or not risky(pattern):
            self.fullmatch = lambda text: plain.fullmatch(text) is not None
            self.fullmatch_found = lambda text: plain.fullmatch(text)
        else:
            fullmatch = self._bounded(bounded.fullmatch)
            self.fullmatch_found = fullmatch
            self.fullmatch = lambda text: fullmatch(text) is not None

    def _bounded(self, run: Callable[..., Found | None]) -> Callable[[str], Found | None]:
        pattern = self.pattern
        gave_up_on: list[str | None] = [None]
        """The last value it gave up on: the router and the near-miss report ask again
        about the same request text, and must not wait for the bound each time."""

        def hit(text: str) -> Found | None:
            if text == gave_up_on[0]:
                return None
            try:
                return run(text, timeout=MATCH_TIMEOUT)
            except TimeoutError:
                gave_up_on[0] = text
                _gave_up(pattern, MATCH_TIMEOUT)
                return None

        return hit


def bounded_pattern(pattern: str, flags: int = 0) -> BoundedPattern:
    """``BoundedPattern(pattern, flags)``, cached (stubs often share their patterns);
    raises ``re.error`` as ``re.compile`` does."""
    return _bounded_pattern(pattern, flags)


@functools.lru_cache(maxsize=4096)
def _bounded_pattern(pattern: str, flags: int) -> BoundedPattern:
    return BoundedPattern(pattern, flags)


def _regex_flags(flags: int) -> int:
    """``re`` flags as ``regex`` spells them."""
    found = 0
    for mine, theirs in (
        (re.IGNORECASE, regex.IGNORECASE),
        (re.DOTALL, regex.DOTALL),
        (re.MULTILINE, regex.MULTILINE),
        (re.VERBOSE, regex.VERBOSE),
        (re.ASCII, regex.ASCII),
    ):
        if flags & mine:
            found |= theirs
    return found
