"""Named operators, looked up once at load time: the extension point for matchers.

The native operators register themselves here like any addon would, so an importer
(WireMock's ``equalToJson``, ``matchesXPath``...) or a user's plugin adds an operator
without touching the matching code. Lookups happen while a stub compiles; a request
never sees the registry.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Operators of one kind (value or body) by name."""

    __slots__ = ("kind", "_items")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T, *, replace: bool = False) -> None:
        """Add an operator; a name already taken needs ``replace=True``, so two addons
        cannot silently fight over one name."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} operator: a name must be a non-empty string")
        if name in self._items and not replace:
            raise ValueError(
                f"{self.kind} operator {name!r} is already registered (pass replace=True)"
            )
        self._items[name] = item

    def unregister(self, name: str) -> None:
        """Remove an operator (an addon's teardown); stubs compiled with it keep working."""
        if self._items.pop(name, None) is None:
            raise ValueError(f"{self.kind} operator {name!r} is not registered")

    def get(self, name: str, where: str) -> T:
        """The operator called ``name``; ``where`` names the condition in the error."""
        found = self._items.get(name)
        if found is None:
            known = ", ".join(sorted(self._items))
            raise ValueError(f"{where}: unknown operator {name!r} (known: {known})")
        return found

    def names(self) -> tuple[str, ...]:
        """Registered names, sorted: for docs and error messages."""
        return tuple(sorted(self._items))

    def __contains__(self, name: object) -> bool:
        return name in self._items
