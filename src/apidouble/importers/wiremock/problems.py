"""A WireMock mapping that cannot be read: the message and the JSON pointer to blame."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from apidouble.config.positions import child


class MappingError(ValueError):
    """One problem in one mapping, at ``pointer`` (relative to the mapping until the
    document adds its own prefix)."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer

    def under(self, *parts: str | int) -> MappingError:
        """The same problem, its pointer prefixed with ``parts``."""
        prefix = ""
        for part in parts:
            prefix = child(prefix, part)
        return MappingError(self.message, prefix + self.pointer)


def at(message: str, *parts: str | int) -> MappingError:
    """A ``MappingError`` at the pointer made of ``parts``."""
    return MappingError(message).under(*parts)


def unknown(raw: Mapping[str, Any], known: Collection[str], what: str) -> None:
    """Raise for the first key of ``raw`` WireMock would not read (it refuses those)."""
    for key in raw:
        if key not in known:
            raise at(f"unknown key {key!r} in {what} (WireMock refuses the file)", key)
