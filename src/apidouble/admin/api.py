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

    # --- WireMock's admin API (shapes as WireMock 3.13 answers) --------------------

    def mappings(self, limit: int | None = None, offset: int = 0) -> dict[str, Any]:
        """``{"mappings": [...], "meta": {"total": n}}``, newest first, as WireMock lists them."""
        ...

    def mapping(self, mapping_id: str) -> dict[str, Any] | None:
        """One mapping by its WireMock id, or None."""
        ...

    def serve_events(
        self, limit: int | None = None, since: float | None = None, unmatched: bool = False
    ) -> dict[str, Any]:
        """WireMock's ``GET /__admin/requests``: serve events, newest first; ``since`` is a
        received time (``time.time()``), inclusive."""
        ...

    def serve_event(self, event_id: str) -> dict[str, Any] | None:
        """One serve event by its id, or None when it is not kept."""
        ...

    def count_requests(self, pattern: Mapping[str, Any]) -> int:
        """Kept requests matching a WireMock request pattern; raises ``ValueError``
        (``MappingError``, with a pointer) when the pattern cannot be read."""
        ...

    def find_requests(self, pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Kept requests matching a WireMock request pattern, oldest first, as
        ``LoggedRequest``s; raises as ``count_requests``."""
        ...

    def unmatched_requests(self) -> list[dict[str, Any]]:
        """Kept requests no stub matched, oldest first, as ``LoggedRequest``s."""
        ...

    @property
    def journal_disabled(self) -> bool:
        """WireMock's ``requestJournalDisabled``."""
        ...

    def scenarios(self) -> list[dict[str, Any]]:
        """Every scenario the stubs name: id, name, state, possibleStates, mappings."""
        ...

    def reset_scenarios(self) -> None:
        """Every scenario back to ``Started``."""
        ...

    def set_scenario_state(self, name: str, state: str | None) -> None:
        """Put a scenario in ``state``: ``LookupError`` when no stub names the scenario,
        ``ValueError`` when none of its stubs names the state (``Started`` is always
        allowed: WireMock's reset of one scenario)."""
        ...
