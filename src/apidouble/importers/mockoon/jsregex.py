"""JavaScript regular expressions as Mockoon's rules run them, in Python's dialect.

A rule's ``regex`` is ``new RegExp(value).test(target)``: a search anywhere in the text,
``.`` not matching a newline. Native matchers full-match (some with ``.`` spanning
lines), so the pattern is wrapped to search, with the ``s`` flag off inside.
"""

from __future__ import annotations

import re

_NAMED = re.compile(r"\(\?<(?![=!])")
_BACKREF = re.compile(r"\\k<([A-Za-z_]\w*)>")


def python_pattern(source: str) -> str:
    """The JS pattern in Python's syntax: named groups, back-references, ``[^]``."""
    text = _NAMED.sub("(?P<", source)
    text = _BACKREF.sub(r"(?P=\1)", text)
    return text.replace("[^]", r"[\s\S]")


def searching(source: str, ignore_case: bool = False) -> str:
    """A full-match pattern that holds where ``source`` is found anywhere in the text;
    ``ValueError`` when Python cannot compile it."""
    flags = "i" if ignore_case else ""
    wrapped = rf"[\s\S]*?(?{flags}-s:{python_pattern(source)})[\s\S]*"
    _check(wrapped, source)
    return wrapped


def not_searching(source: str, ignore_case: bool = False) -> str:
    """A full-match pattern that holds where ``source`` is found nowhere in the text."""
    flags = "i" if ignore_case else ""
    wrapped = rf"(?![\s\S]*?(?{flags}-s:{python_pattern(source)}))[\s\S]*"
    _check(wrapped, source)
    return wrapped


def exactly(text: str) -> str:
    """A full-match pattern for this text alone."""
    return re.escape(text)


def not_exactly(text: str) -> str:
    """A full-match pattern for any text but this one."""
    return rf"(?!{re.escape(text)}\Z)[\s\S]*"


def js_test(source: str, text: str, ignore_case: bool = False) -> bool:
    """``new RegExp(source, flags).test(text)``, run now (for values known at load)."""
    flags = re.IGNORECASE if ignore_case else 0
    return re.search(python_pattern(source), text, flags) is not None


def _check(pattern: str, source: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"regular expression {source!r} does not compile here: {exc}") from None
