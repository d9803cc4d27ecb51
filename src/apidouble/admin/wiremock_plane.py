"""The WireMock part of ``LocalAdmin``: mappings, journal queries and scenarios.

A mixin over ``self.engine`` so ``local.py`` stays one job. Request patterns are WireMock
JSON compiled with the importer's ``request_pattern`` and tested by the journal with the
matchers stubs use; a bad pattern raises ``MappingError`` (a ``ValueError``) with the
pointer to blame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import nearmiss_journal
from ..compiled import CompiledConfig
from ..engine import Engine
from ..importers.wiremock.request import request_pattern
from ..model import SCENARIO_START, Scenario
from ..state.scenarios import Scenarios
from .wiremock import MappingViews, entry_seq, logged_request, scenario_states, serve_event


class UnknownScenario(LookupError):
    """No served stub names this scenario."""


class UnsupportedState(ValueError):
    """The scenario's stubs never name this state."""


class WireMockPlane:
    """WireMock's admin reads over one engine (see ``Admin`` for each method's answer)."""

    engine: Engine
    _views: MappingViews | None = None

    def _mapping_views(self) -> MappingViews:
        views = self._views
        config = self.engine.config
        if views is None or views.config is not config:
            self._views = views = MappingViews(config)
        return views

    # --- mappings -------------------------------------------------------------------

    def mappings(self, limit: int | None = None, offset: int = 0) -> dict[str, Any]:
        ordered = self._mapping_views().ordered
        end = None if limit is None else offset + limit
        return {"mappings": ordered[offset:end], "meta": {"total": len(ordered)}}

    def mapping(self, mapping_id: str) -> dict[str, Any] | None:
        return self._mapping_views().by_id.get(mapping_id)

    # --- the journal ----------------------------------------------------------------

    @property
    def journal_disabled(self) -> bool:
        """WireMock's ``requestJournalDisabled``: the journal keeps no entries."""
        return self.engine.journal.limits.max_entries == 0

    def serve_events(
        self,
        limit: int | None = None,
        since: float | None = None,
        unmatched: bool = False,
        matching_stub: str | None = None,
    ) -> dict[str, Any]:
        journal = self.engine.journal
        views = self._mapping_views()
        if matching_stub is not None:
            stub_id = views.stub_of.get(matching_stub)
            if stub_id is None:
                entries: list[dict[str, Any]] = []
            else:
                entries = journal.find(stub=stub_id, since=since, limit=limit)
        else:
            entries = journal.find(unmatched=unmatched or None, since=since, limit=limit)
        return {
            "requests": [serve_event(entry, views) for entry in entries],
            "meta": {"total": len(journal)},
            "requestJournalDisabled": self.journal_disabled,
        }

    def serve_event(self, event_id: str) -> dict[str, Any] | None:
        seq = entry_seq(event_id)
        found = self.engine.journal.entry(seq) if seq is not None else None
        return None if found is None else serve_event(found, self._mapping_views())

    def count_requests(self, pattern: Mapping[str, Any]) -> int:
        return self.engine.journal.count(pattern=request_pattern(pattern))

    def find_requests(self, pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = self.engine.journal.find(pattern=request_pattern(pattern))
        return [logged_request(entry) for entry in reversed(found)]  # oldest first

    def remove_request(self, event_id: str) -> bool:
        seq = entry_seq(event_id)
        return seq is not None and self.engine.journal.remove([seq]) > 0

    def remove_requests(self, pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
        journal = self.engine.journal
        found = journal.find(pattern=request_pattern(pattern))
        views = self._mapping_views()
        removed = [serve_event(entry, views) for entry in found]
        journal.remove([entry["id"] for entry in found])
        return removed

    def unmatched_requests(self) -> list[dict[str, Any]]:
        found = self.engine.journal.find(unmatched=True)
        return [logged_request(entry) for entry in reversed(found)]

    def near_misses_for_request(self, logged: Mapping[str, Any]) -> dict[str, Any]:
        return nearmiss_journal.near_misses_for_request(self.engine, logged)

    def near_misses_for_pattern(self, pattern: Mapping[str, Any]) -> dict[str, Any]:
        return nearmiss_journal.near_misses_for_pattern(self.engine, pattern)

    def unmatched_near_misses(self) -> dict[str, Any]:
        return nearmiss_journal.unmatched_near_misses(self.engine)

    # --- scenarios ------------------------------------------------------------------

    def scenarios(self) -> list[dict[str, Any]]:
        config = self.engine.config
        views = self._mapping_views()
        scenarios = Scenarios(config.store)
        stubs = [compiled.stub for compiled in config.stubs.values()]
        return [
            {
                "id": name,
                "name": name,
                "state": scenarios.state(name),
                "possibleStates": states,
                "mappings": [
                    m
                    for stub in stubs
                    if stub.scenario is not None and stub.scenario.name == name
                    for m in views.by_stub[stub.id]
                ],
            }
            for name, states in scenario_states(stubs, _conversation_scenarios(config)).items()
        ]

    def reset_scenarios(self) -> None:
        Scenarios(self.engine.config.store).reset()

    def set_scenario_state(self, name: str, state: str | None) -> None:
        config = self.engine.config
        stubs = (compiled.stub for compiled in config.stubs.values())
        states = scenario_states(stubs, _conversation_scenarios(config)).get(name)
        if states is None:
            raise UnknownScenario(f"Scenario {name} does not exist")
        if state not in states and state != SCENARIO_START:  # back to the start: always
            shown = "null" if state is None else state
            raise UnsupportedState(f"Scenario {name} does not support state {shown}")
        Scenarios(self.engine.config.store).move(name, state)


def _conversation_scenarios(config: CompiledConfig) -> list[Scenario]:
    """The scenarios WebSocket rules read and move."""
    return [
        rule.scenario
        for compiled in config.stubs.values()
        for response in compiled.picker.responses
        if response.websocket is not None
        for rule in response.websocket.rules
        if rule.scenario is not None
    ]
