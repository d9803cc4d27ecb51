"""The ``StateStore`` protocol: where behaviours keep what they remember between requests.

Sequences, flaky counters, outage clocks, rate-limit windows and server caches live in
*spaces*, one per behaviour of one stub, named from the stub's stable id and the
behaviour's settings (``stub-id/flaky/3f2a…``). A reload compiles new objects that ask
for the same names and so find the same state: an unchanged stub keeps its position in
a sequence and its rate-limit window; a changed behaviour gets a fresh space. The memory
backend is ``state.memory``; a Redis backend implements the same two protocols.

Every operation is one call with plain arguments (a client key, the time), so a remote
backend can do each in one round trip.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

DEFAULT_MAX_KEYS = 10_000
"""Client keys one space remembers before forgetting the least recently seen."""


class StateUnavailable(Exception):
    """A remote store cannot be reached: the request that needs state gets a 503 saying
    why, while requests that need none are served as usual."""


class StateSpace(Protocol):
    """The state of one behaviour of one stub, by client key ("" when shared)."""

    def count(self, key: str) -> int:
        """Count one more request for ``key``; the new total (1 for the first)."""
        ...

    def origin(self, key: str, now: float) -> float:
        """When ``key`` was first seen (``now`` if this is the first time)."""
        ...

    def admit(self, key: str, now: float, limit: int, per_s: float) -> tuple[bool, int, float]:
        """Sliding-log rate limit: log ``now`` if fewer than ``limit`` requests were logged in
        the last ``per_s`` seconds. Returns (admitted, requests logged in the window after
        this one, when the oldest logged request leaves the window)."""
        ...

    def release(self, key: str, stamp: float) -> None:
        """Take back an admission logged at ``stamp`` (a later check refused the request)."""
        ...

    def cached(self, key: Any, now: float) -> Any:
        """The value cached under ``key`` if it has not expired, else None."""
        ...

    def cache(self, key: Any, value: Any, until: float) -> None:
        """Cache ``value`` under ``key`` until ``until`` (monotonic seconds)."""
        ...

    def value(self, key: str) -> str | None:
        """The text stored under ``key`` (a scenario's state), or None."""
        ...

    def set_value(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        ...

    def replace(self, key: str, expected: str | None, value: str) -> bool:
        """Store ``value`` under ``key`` if it holds ``expected`` now (None: nothing stored
        yet), in one step; whether it did. A scenario moves this way, so two instances
        serving the same transition move it once."""
        ...

    def values(self) -> dict[str, str]:
        """Every stored text by key (for the admin API)."""
        ...

    def clear(self) -> None:
        """Forget everything in this space."""
        ...


class StateStore(Protocol):
    """Hands out spaces by name; resets and prunes them."""

    def space(self, name: str, max_keys: int = DEFAULT_MAX_KEYS) -> StateSpace:
        """The space called ``name`` (created empty the first time)."""
        ...

    def reset(self, prefix: str = "") -> None:
        """Empty every space whose name starts with ``prefix`` (all of them for "")."""
        ...

    def retain(self, names: Collection[str]) -> None:
        """Drop the spaces not in ``names`` (stubs or behaviours that no longer exist)."""
        ...

    def names(self) -> list[str]:
        """The names of the spaces that exist, sorted."""
        ...
