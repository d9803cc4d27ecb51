"""A WireMock mapping that cannot be read: the message and the JSON pointer to blame."""

from __future__ import annotations

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
