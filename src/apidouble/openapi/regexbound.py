"""Regular expressions from a spec, run with a bound: a hostile ``pattern`` (``(a+)+$``)
must not hang the server.

Python's ``re`` has no timeout, so patterns that can backtrack catastrophically (a
quantified group holding a quantifier or an alternation, or a backreference) run on the
``regex`` engine with a time bound (``PATTERN_TIMEOUT``): past it the value counts as not
matching. Every other pattern runs on ``re``, which is polynomial at worst on them.
"""

from __future__ import annotations

import functools
import re

import regex

__all__ = ["PATTERN_TIMEOUT", "bounded_search", "risky"]
# --- patterns: a spec's regex must not hang the server ------------------------------------

PATTERN_TIMEOUT = 0.1
"""Seconds a risky pattern may take on one value before it counts as not matching."""


def risky(pattern: str) -> bool:
    """Whether a pattern can backtrack catastrophically: a quantified group that itself
    holds a quantifier or an alternation (``(a+)+``, ``(a|aa)*``), or a backreference.
    The rest run inline: ``re`` on them is polynomial at worst."""
    stack: list[bool] = []  # per open group: does it hold a quantifier or "|"?
    index, size = 0, len(pattern)
    after_group = False
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
    if not risky(pattern):
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
