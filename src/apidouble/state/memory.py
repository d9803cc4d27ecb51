"""The in-memory ``StateStore``: the embedded default, needing nothing.

Each space bounds its client keys with an LRU (a scan with random API keys cannot grow
memory without bound), and a rate-limit space also bounds its timestamps.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from typing import Any

from ..behaviours.keys import LruDict
from .store import DEFAULT_MAX_KEYS

MAX_TIMESTAMPS = 1_000_000
"""Upper bound on the timestamps one space keeps for rate limits (about 8 MB of floats)."""


class MemorySpace:
    """One behaviour's state, in this process."""

    __slots__ = ("_counts", "_origins", "_logs", "_cache", "_values", "max_keys")

    def __init__(self, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._counts: LruDict[str, list[int]] = LruDict(max_keys)
        self._origins: LruDict[str, list[float]] = LruDict(max_keys)
        self._logs: LruDict[str, deque[float]] | None = None
        self._cache: LruDict[Any, tuple[float, Any]] | None = None
        self._values: dict[str, str] | None = None
        """Texts by key (scenario states: keys come from the config, so they are bounded)."""

    def count(self, key: str) -> int:
        cell = self._counts.get(key)
        if cell is None:
            cell = self._counts[key] = [0]
        cell[0] += 1
        return cell[0]

    def origin(self, key: str, now: float) -> float:
        cell = self._origins.get(key)
        if cell is None:
            cell = self._origins[key] = [now]
        return cell[0]

    def admit(self, key: str, now: float, limit: int, per_s: float) -> tuple[bool, int, float]:
        if self._logs is None:
            self._logs = LruDict(self.window_capacity(limit))
        log = self._logs.setdefault(key, deque)
        horizon = now - per_s
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) < limit:
            log.append(now)
            return True, len(log), log[0] + per_s
        return False, len(log), log[0] + per_s

    def window_keys(self) -> int:
        """Client keys with a rate-limit window now."""
        return len(self._logs) if self._logs is not None else 0

    def window_capacity(self, limit: int) -> int:
        """How many client windows a limit of ``limit`` requests may keep here."""
        return max(1, min(self.max_keys, MAX_TIMESTAMPS // max(1, limit)))

    def release(self, key: str, stamp: float) -> None:
        log = self._logs.get(key) if self._logs is not None else None
        if log:
            try:
                log.remove(stamp)
            except ValueError:
                pass

    def cached(self, key: Any, now: float) -> Any:
        if self._cache is None:
            return None
        entry = self._cache.get(key)
        if entry is None:
            return None
        if now < entry[0]:
            return entry[1]
        self._cache.pop(key)
        return None

    def cache(self, key: Any, value: Any, until: float) -> None:
        if self._cache is None:
            self._cache = LruDict(self.max_keys)
        self._cache[key] = (until, value)

    def value(self, key: str) -> str | None:
        return self._values.get(key) if self._values is not None else None

    def set_value(self, key: str, value: str) -> None:
        if self._values is None:
            self._values = {}
        self._values[key] = value

    def replace(self, key: str, expected: str | None, value: str) -> bool:
        if self.value(key) != expected:
            return False
        self.set_value(key, value)
        return True

    def values(self) -> dict[str, str]:
        return dict(self._values) if self._values is not None else {}

    def known_keys(self) -> int:
        """Client keys with a count remembered now (bounded by ``max_keys``)."""
        return len(self._counts)

    def cache_size(self) -> int:
        """Entries cached now (expired ones included until looked up)."""
        return len(self._cache) if self._cache is not None else 0

    def clear(self) -> None:
        self._counts.clear()
        self._origins.clear()
        if self._logs is not None:
            self._logs.clear()
        if self._cache is not None:
            self._cache.clear()
        if self._values is not None:
            self._values.clear()


class MemoryStore:
    """Spaces by name, in a dict; all of it lives as long as the server."""

    __slots__ = ("_spaces",)

    def __init__(self) -> None:
        self._spaces: dict[str, MemorySpace] = {}

    def space(self, name: str, max_keys: int = DEFAULT_MAX_KEYS) -> MemorySpace:
        found = self._spaces.get(name)
        if found is None:
            found = self._spaces[name] = MemorySpace(max_keys)
        return found

    def reset(self, prefix: str = "") -> None:
        for name, space in self._spaces.items():
            if name.startswith(prefix):
                space.clear()

    def retain(self, names: Collection[str]) -> None:
        keep = set(names)
        for name in [n for n in self._spaces if n not in keep]:
            del self._spaces[name]

    def names(self) -> list[str]:
        return sorted(self._spaces)
