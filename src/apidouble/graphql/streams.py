"""What one operation sends over a socket: a ``Stream`` of results, drawn one at a time.

A query or mutation is one result (``Once``); a subscription that an ``operations:``
stub answers plays the stub's events (``Scripted``), and any other is mock data from the
schema, one fresh result per event (``Mocked``: each event has its own seed key, so the
values move on while ids stay stable). Each result is made when it is due, never ahead,
so a stream of any length holds one event at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .operations import OperationStub

__all__ = ["Delayed", "Mocked", "Once", "Scripted", "Stream", "StreamSettings", "delayed"]


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """A schema-mocked subscription's events: how many (None: until the client stops)
    and the wait between them (the first goes at once)."""

    count: int | None = 3
    every_s: float = 1.0


class Stream(Protocol):
    """The events of one operation: (wait before it, the result), None when done;
    ``holds``: done is not the end, published events may still come."""

    @property
    def holds(self) -> bool: ...

    def next_event(self) -> tuple[float, dict[str, Any]] | None: ...


class Once:
    """A single result, at once."""

    __slots__ = ("_result",)
    holds = False

    def __init__(self, result: dict[str, Any]) -> None:
        self._result: dict[str, Any] | None = result

    def next_event(self) -> tuple[float, dict[str, Any]] | None:
        result, self._result = self._result, None
        return None if result is None else (0.0, result)


class Scripted:
    """A stub's events, round after round, with the SSE streams' timing."""

    __slots__ = ("_stub", "_index")

    def __init__(self, stub: OperationStub) -> None:
        self._stub = stub
        self._index = 0

    @property
    def holds(self) -> bool:
        return self._stub.hold

    def next_event(self) -> tuple[float, dict[str, Any]] | None:
        stub = self._stub
        events = stub.events
        if not events:
            if self._index or stub.hold:
                return None
            self._index = 1
            return 0.0, stub.answer()
        index = self._index
        if stub.repeat is not None and index >= len(events) * stub.repeat:
            return None
        self._index += 1
        event = events[index % len(events)]
        if event.delay_s is not None:
            delay = event.delay_s
        else:
            delay = 0.0 if index == 0 else stub.every_s
        return delay, event.payload()


class Mocked:
    """Mock data for a subscription: ``make(index)`` gives event ``index``'s result."""

    __slots__ = ("_make", "_settings", "_index")
    holds = False

    def __init__(self, make: Callable[[int], dict[str, Any]], settings: StreamSettings) -> None:
        self._make = make
        self._settings = settings
        self._index = 0

    def next_event(self) -> tuple[float, dict[str, Any]] | None:
        settings = self._settings
        index = self._index
        if settings.count is not None and index >= settings.count:
            return None
        self._index += 1
        return (0.0 if index == 0 else settings.every_s), self._make(index)


class Delayed:
    """Another stream whose first event comes ``delay_s`` later (an operation's latency)."""

    __slots__ = ("_inner", "_delay_s")

    def __init__(self, inner: Stream, delay_s: float) -> None:
        self._inner = inner
        self._delay_s = delay_s

    @property
    def holds(self) -> bool:
        return self._inner.holds

    def next_event(self) -> tuple[float, dict[str, Any]] | None:
        event = self._inner.next_event()
        if event is None or not self._delay_s:
            return event
        delay, self._delay_s = self._delay_s, 0.0
        return event[0] + delay, event[1]


def delayed(stream: Stream, delay_s: float) -> Stream:
    """``stream``, its first event ``delay_s`` later; itself when there is no delay."""
    return Delayed(stream, delay_s) if delay_s > 0 else stream
