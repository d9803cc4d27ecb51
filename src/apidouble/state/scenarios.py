"""Scenarios: named state machines that gate stubs (WireMock's ``scenarioName``).

A stub with a ``Scenario`` matches only while its scenario is in the state it requires,
and serving it moves the scenario on. States live in one store space, so they follow
the store: in memory by default, shared when the store is.
"""

from __future__ import annotations

from ..model import SCENARIO_START, Request, Scenario
from .store import StateSpace, StateStore

SPACE = "scenarios"
"""The store space holding every scenario's state, by scenario name."""
MAX_SCENARIOS = 100_000


class Scenarios:
    """Read and move scenario states."""

    __slots__ = ("_space",)

    def __init__(self, store: StateStore) -> None:
        self._space: StateSpace = store.space(SPACE, MAX_SCENARIOS)

    def state(self, name: str) -> str:
        """The scenario's state (``Started`` until it moves)."""
        return self._space.value(name) or SCENARIO_START

    def move(self, name: str, state: str, expected: str | None = None) -> bool:
        """Put the scenario in ``state``; with ``expected``, only if it is in that state
        now (one atomic step, so instances sharing a store move it once). Whether it moved."""
        if expected is None:
            self._space.set_value(name, state)
            return True
        space = self._space
        if expected == SCENARIO_START and space.replace(name, None, state):
            return True  # never moved yet: no value stored
        return space.replace(name, expected, state)

    def states(self) -> dict[str, str]:
        """Every scenario that has moved, by name."""
        return self._space.values()

    def reset(self) -> None:
        """Every scenario back to ``Started``."""
        self._space.clear()


class ScenarioGate:
    """One stub's scenario: whether a request may match it now, and the move on serve."""

    __slots__ = ("scenario", "_scenarios")

    def __init__(self, scenario: Scenario, scenarios: Scenarios) -> None:
        self.scenario = scenario
        self._scenarios = scenarios

    def test(self, request: Request) -> bool:
        required = self.scenario.when
        return required is None or self._scenarios.state(self.scenario.name) == required

    def current(self) -> str:
        return self._scenarios.state(self.scenario.name)

    def served(self) -> None:
        then = self.scenario.then
        if then is not None:
            self._scenarios.move(self.scenario.name, then, self.scenario.when)
