"""The ``Admin`` protocol: one control plane for the HTTP routes, ``MockServer`` and the CLI.

Everything a user can do to a running mock goes through these methods, whichever face
they use: the routes under ``/__admin`` translate HTTP into calls, ``MockServer`` calls
them directly, and later faces (the web UI, MCP, a remote client) do the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..errors import ConfigError


class Admin(Protocol):
    """What can be asked of, or done to, a running mock."""

    def health(self) -> dict[str, Any]:
        """Serving state; ``degraded`` while the last reload failed."""
        ...

    def endpoints(self) -> list[dict[str, Any]]:
        """The served stubs, with where each was defined."""
        ...

    def logs(self, limit: int | None = None) -> dict[str, Any]:
        """``{"total": n, "logs": [...]}``: journal entries, newest first."""
        ...

    def clear_logs(self) -> None:
        """Forget every journal entry."""
        ...

    async def reload(self) -> ConfigError | None:
        """Reload the config files; the error when they are broken (the last good config
        keeps serving). Raises ``LookupError`` when there are no files to reload."""
        ...

    def set_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        """Serve exactly ``endpoints`` (the config's ``endpoints:`` form)."""
        ...

    def add_endpoints(self, endpoints: Sequence[Mapping[str, Any]]) -> None:
        """Serve ``endpoints`` after the stubs already served (which keep their state)."""
        ...

    def reset(self) -> None:
        """Forget the journal and every stub's state (sequences, counters, windows)."""
        ...
