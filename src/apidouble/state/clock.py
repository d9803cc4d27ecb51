"""One injected clock for every behaviour and for the templates' ``now``.

Behaviours never call ``time`` themselves: they ask the ``Clock`` they were given, so a
controllable (virtual) clock can replace the system one without touching them.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds for intervals, wall seconds (Unix time) for what users read."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences mean anything."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch, as ``time.time()``."""
        ...


class SystemClock:
    """The machine's clocks: the C functions themselves, so reading the time on the hot
    path costs no Python frame."""

    __slots__ = ()

    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)


SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """A clock that moves only when told: for tests and, later, a virtual clock."""

    __slots__ = ("_monotonic", "_wall")

    def __init__(self, wall: float = 1_700_000_000.0, monotonic: float = 1_000.0) -> None:
        self._wall = wall
        self._monotonic = monotonic

    def monotonic(self) -> float:
        return self._monotonic

    def time(self) -> float:
        return self._wall

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._monotonic += seconds
        self._wall += seconds
