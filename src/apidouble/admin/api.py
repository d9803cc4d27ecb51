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
        """Forget the journal and every stub's state (sequences, counters, windows),
        and restore the json-server database's data."""
        ...

    # --- WireMock's admin API (shapes as WireMock 3.13 answers) --------------------

    def mappings(self, limit: int | None = None, offset: int = 0) -> dict[str, Any]:
        """``{"mappings": [...], "meta": {"total": n}}``, newest first, as WireMock lists them."""
        ...

    def mapping(self, mapping_id: str) -> dict[str, Any] | None:
        """One mapping by its WireMock id, or None."""
        ...

    async def create_mapping(self, document: Any) -> dict[str, Any]:
        """Serve a new WireMock mapping (persisted unless ``"persistent": false``); the
        mapping as stored. Raises ``MappingError`` (with a pointer), ``DuplicateId``, or
        ``OSError`` when it cannot be written (nothing changed then)."""
        ...

    async def replace_mapping(self, mapping_id: str, document: Any) -> dict[str, Any] | None:
        """Replace a mapping (a file stub is replaced in the runtime layer, never in its
        file); None when no mapping has that id. Raises as ``create_mapping``."""
        ...

    async def delete_mapping(self, mapping_id: str) -> bool:
        """Remove a mapping (and its persisted file); False when no mapping has that id."""
        ...

    async def delete_mappings(self) -> None:
        """Remove every mapping: runtime ones with their files, file ones until a reset."""
        ...

    async def reset_mappings(self) -> None:
        """Back to the files' stubs and the persisted runtime ones."""
        ...

    async def save_mappings(self) -> None:
        """Persist every runtime stub, ``persistent: false`` ones included."""
        ...

    async def import_mappings(
        self, documents: Sequence[Any], overwrite: bool = True, delete_others: bool = False
    ) -> None:
        """Add many mappings at once (one bad one refuses them all): a taken id is
        replaced (``overwrite``) or left alone; ``delete_others`` removes the rest."""
        ...

    def mappings_by_metadata(self, pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Mappings whose ``metadata`` matches a WireMock value pattern (``ValueError``
        when the pattern cannot be read)."""
        ...

    async def remove_mappings_by_metadata(self, pattern: Mapping[str, Any]) -> None:
        """Remove the mappings ``mappings_by_metadata`` finds."""
        ...

    def unmatched_mappings(self) -> list[dict[str, Any]]:
        """Mappings that no request was served by since the journal was last cleared."""
        ...

    async def delete_unmatched_mappings(self) -> None:
        """Remove the mappings ``unmatched_mappings`` lists."""
        ...

    def settings(self) -> dict[str, Any]:
        """WireMock's ``{"settings": {...}}``: the global settings as last set."""
        ...

    async def set_settings(self, document: Any) -> dict[str, Any]:
        """Replace the global settings (``fixedDelay``, ``delayDistribution``,
        ``extended``); the new ``settings``. Raises ``MappingError`` with a pointer."""
        ...

    async def extend_settings(self, document: Any) -> dict[str, Any]:
        """Merge keys into ``extended``; the new ``settings``."""
        ...

    async def reset_all(self) -> None:
        """Journal, state and mappings back to the start (WireMock's ``/__admin/reset``)."""
        ...

    def endpoint(self, stub_id: str) -> dict[str, Any] | None:
        """One served stub as ``endpoints`` lists it, or None."""
        ...

    async def create_endpoint(self, document: Any) -> dict[str, Any]:
        """Serve a new native endpoint (persisted unless ``persistent: false``); raises
        ``ConfigError``, ``DuplicateEndpoint`` or ``OSError`` (nothing changed then)."""
        ...

    async def replace_endpoint(self, stub_id: str, document: Any) -> dict[str, Any] | None:
        """Replace a stub with a native endpoint; None when no stub has that id."""
        ...

    async def delete_endpoint(self, stub_id: str) -> bool:
        """Remove a stub; False when no stub has that id."""
        ...

    async def set_disabled(self, stub_id: str, disabled: bool) -> dict[str, Any] | None:
        """Keep ``stub_id`` listed but not served (``disabled``), or serve it again; the
        endpoint as ``endpoint`` gives it, or None when no such stub is listed."""
        ...

    async def import_endpoints(self, documents: Sequence[Any]) -> list[str]:
        """Serve imported native endpoints as runtime stubs, all or none (``ConfigError``
        with pointers under ``/endpoints``); their ids."""
        ...

    def resources(self) -> list[dict[str, Any]]:
        """The CRUD resources served: name, HTTP path and row count (None: singular)."""
        ...

    def hits(self) -> dict[str, int]:
        """Exact request counts per stub id since the journal was last cleared."""
        ...

    def serve_events(
        self,
        limit: int | None = None,
        since: float | None = None,
        unmatched: bool = False,
        matching_stub: str | None = None,
    ) -> dict[str, Any]:
        """WireMock's ``GET /__admin/requests``: serve events, newest first; ``since`` is a
        received time (``time.time()``), inclusive; ``matching_stub`` a mapping id."""
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

    def remove_request(self, event_id: str) -> bool:
        """Forget one journal entry (its stub's counts drop with it); False if not kept."""
        ...

    def remove_requests(self, pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Forget the kept requests matching a WireMock request pattern; their serve
        events, newest first. Raises as ``count_requests``."""
        ...

    def unmatched_requests(self) -> list[dict[str, Any]]:
        """Kept requests no stub matched, oldest first, as ``LoggedRequest``s."""
        ...

    def near_misses_for_request(self, logged: Mapping[str, Any]) -> dict[str, Any]:
        """WireMock's ``{"nearMisses": [...]}``: the stubs nearest a ``LoggedRequest``;
        raises ``MappingError`` (with a pointer) when it cannot be read."""
        ...

    def near_misses_for_pattern(self, pattern: Mapping[str, Any]) -> dict[str, Any]:
        """The kept requests nearest a WireMock request pattern; raises as above."""
        ...

    def unmatched_near_misses(self) -> dict[str, Any]:
        """For each unmatched kept request, its nearest stubs."""
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
