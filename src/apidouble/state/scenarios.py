"""Scenarios: named state machines that gate stubs (WireMock's ``scenarioName``).

A stub with a ``Scenario`` matches only while its scenario is in the state it requires,
and serving it moves the scenario on. States live in one store space, so they follow
the store: in memory by default, shared when the store is.
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import SCENARIO_START, Request, Scenario
from .store import StateSpace, StateStore

SESSION_SEPARATOR = "\x1f"
"""Between a scenario's name and a session's key in the space (``state_key``)."""

SPACE = "scenarios"
"""The store space holding every scenario's state, by scenario name."""
MAX_SCENARIOS = 100_000


class Scenarios:
    """Read and move scenario states; with a ``session`` key (``state_key``), each client
    that sends one has scenarios of its own, and the rest share the plain ones."""

    __slots__ = ("_space", "session")

    def __init__(self, store: StateStore, session: Callable[[Request], str] | None = None) -> None:
        self._space: StateSpace = store.space(SPACE, MAX_SCENARIOS)
        self.session = session

    def key(self, name: str, request: Request | None) -> str:
        """Where ``name``'s state is kept for ``request``'s session."""
        if self.session is None or request is None:
            return name
        who = self.session(request)
        return f"{name}{SESSION_SEPARATOR}{who}" if who else name

    def state(self, name: str, request: Request | None = None) -> str:
        """The scenario's state (``Started`` until it moves)."""
        return self._space.value(self.key(name, request)) or SCENARIO_START

    def move(
        self,
        name: str,
        state: str,
        expected: str | None = None,
        request: Request | None = None,
    ) -> bool:
        """Put the scenario in ``state``; with ``expected``, only if it is in that state
        now (one atomic step, so instances sharing a store move it once). Whether it moved."""
        key = self.key(name, request)
        if expected is None:
            self._space.set_value(key, state)
            return True
        space = self._space
        if expected == SCENARIO_START and space.replace(key, None, state):
            return True  # never moved yet: no value stored
        return space.replace(key, expected, state)

    def states(self) -> dict[str, str]:
        """Every scenario that has moved, by name (sessions' own states left out)."""
        return {k: v for k, v in self._space.values().items() if SESSION_SEPARATOR not in k}

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
        return required is None or self._scenarios.state(self.scenario.name, request) == required

    def current(self, request: Request | None = None) -> str:
        return self._scenarios.state(self.scenario.name, request)

    def served(self, request: Request) -> None:
        then = self.scenario.then
        if then is not None:
            self._scenarios.move(self.scenario.name, then, self.scenario.when, request)
