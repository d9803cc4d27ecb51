"""Is this parsed document a Mockoon environment? Decided by its shape, not its name."""

from __future__ import annotations

from typing import Any

_MARKS = ("lastMigration", "uuid", "routes")
"""Keys every exported environment has (``@mockoon/commons`` writes them all)."""
_ALSO = ("endpointPrefix", "rootChildren", "proxyMode", "port")
"""Further keys of an environment: one of them rules out a look-alike."""


def is_mockoon_environment(data: Any) -> bool:
    """An object with ``lastMigration``, ``uuid`` and a ``routes`` list, and one of
    Mockoon's environment settings beside them (a native config has none of these)."""
    if not isinstance(data, dict) or not all(key in data for key in _MARKS):
        return False
    if not isinstance(data["routes"], list) or not isinstance(data["lastMigration"], int):
        return False
    return any(key in data for key in _ALSO)
