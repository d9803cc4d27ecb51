"""Unique names: endpoint names make stub ids, path parameters must not collide."""

from __future__ import annotations

from collections.abc import Callable


def unique(
    name: str, taken: set[str], numbered: Callable[[str, int], str] = "{} ({})".format
) -> str:
    """``name``, or the first of ``numbered(name, 2)``, ``numbered(name, 3)``... not in
    ``taken``; the one chosen is added to ``taken``."""
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = numbered(name, count)
    taken.add(candidate)
    return candidate
