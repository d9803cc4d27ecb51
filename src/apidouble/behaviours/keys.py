"""Who is asking: client keys for per-client patterns and rate limits, and a bounded store.

A key spec is compiled once at load time into a function of the request. Every store
keyed by client is an ``LruDict`` with a size cap, so a scan with random API keys or
spoofed headers cannot grow memory without bound: the least recently seen key is
forgotten first (and, for that client, the pattern starts over).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from ..model import Request

KeyFunc = Callable[[Request], str]
"""The client key of a request; every request without the header, query… shares ``""``."""

DEFAULT_MAX_KEYS = 10_000

K = TypeVar("K")
V = TypeVar("V")


def compile_key(spec: str | None) -> KeyFunc:
    """``ip``, ``header:NAME``, ``query:NAME``, ``cookie:NAME`` or ``global`` (None)."""
    if spec is None or spec == "global":
        return _global
    if spec == "ip":
        return _ip
    kind, sep, name = spec.partition(":")
    name = name.strip()
    if not sep or not name or kind not in ("header", "query", "cookie"):
        raise ValueError(
            f"key must be ip, header:NAME, query:NAME, cookie:NAME or global, got {spec!r}"
        )
    if kind == "header":
        return lambda request: request.header(name) or ""
    if kind == "query":
        return lambda request: (request.query.get(name) or [""])[0]
    return lambda request: request.cookies.get(name, "")


def _global(request: Request) -> str:
    return ""


def _ip(request: Request) -> str:
    return request.client[0] if request.client else ""


class LruDict(Generic[K, V]):
    """A mapping that keeps at most ``max_keys`` entries, dropping the least recently used."""

    __slots__ = ("_data", "max_keys")

    def __init__(self, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, got {max_keys}")
        self.max_keys = max_keys
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value (marking it recently used), or None."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def setdefault(self, key: K, factory: Callable[[], V]) -> V:
        """The value for ``key``, created with ``factory`` (evicting the oldest) if absent."""
        value = self.get(key)
        if value is None:
            value = self[key] = factory()
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.max_keys:
            self._data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Remove and return the value, or None."""
        return self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def clear(self) -> None:
        """Forget every key (a reset from the admin API)."""
        self._data.clear()
