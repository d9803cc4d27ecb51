"""Server-Sent Events: an ``sse:`` response compiled once, played per request as a stream.

The answer is a ``text/event-stream`` head and a body the transport sends as it comes
(``Respond.stream``: chunked on HTTP/1.1, cut at the close on 1.0). Each event's fields
are templates rendered when the event is sent, with the request's names and ``index``
(0, 1, 2... across repeats), so ids, timestamps and uuids move on per event. Data that
is not a string is sent as compact JSON (one ``data:`` line); a string becomes one
``data:`` line per line of text, as the format requires (WHATWG HTML §9.2).

Waits are ``asyncio.sleep``: the stream holds no thread, and when the client leaves the
transport closes the generator (no event is rendered for nobody). A ``Last-Event-ID``
request header resumes after the event that had that id (searched within a bounded
number of events; not found: from the start). ``drop_after`` ends the stream by raising,
so the transport cuts the connection without the closing chunk: a mid-stream fault.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from apidouble.model import Request, SseEvent, SseSpec
from apidouble.templating import TemplateEnvironment
from apidouble.templating.valuetemplates import compile_text, compile_value

__all__ = ["EVENT_NAMES", "EVENT_STREAM_HEADERS", "CompiledSse", "SseDropped"]

EVENT_NAMES = frozenset({"index"})
"""Names an event's templates read beside the request's: ``index``, the events sent
before it in this stream (across repeats)."""

EVENT_STREAM_HEADERS = (
    ("content-type", "text/event-stream; charset=utf-8"),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
)
"""What every event stream answers with (``x-accel-buffering``: proxies must not hold it)."""

RESUME_SEARCH = 10_000
"""Events looked through for the ``Last-Event-ID`` to resume after."""

_LINES = re.compile(r"\r\n|\r|\n")
Render = Callable[[dict[str, Any]], str]


class SseDropped(Exception):
    """``drop_after`` reached: the stream stops without ending its body."""


class _Event:
    """One event with its fields compiled."""

    __slots__ = ("data", "event", "id", "retry", "comment", "delay_s")

    def __init__(self, spec: SseEvent, where: str, names: set[str]) -> None:
        self.data = _data(spec.data, f"{where}/data", names)
        self.event = _text(spec.event, f"{where}/event", names)
        self.id = _text(spec.id, f"{where}/id", names)
        self.comment = _text(spec.comment, f"{where}/comment", names)
        self.retry = spec.retry
        self.delay_s = None if spec.delay_ms is None else spec.delay_ms / 1000

    def encode(self, ctx: dict[str, Any]) -> bytes:
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in _LINES.split(self.comment(ctx)))
        if self.event is not None:
            lines.append(f"event: {_one_line(self.event(ctx))}")
        if self.id is not None:
            lines.append(f"id: {_one_line(self.id(ctx))}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            lines.extend(f"data: {line}" for line in _LINES.split(self.data(ctx)))
        lines.append("\n")
        return "\n".join(lines).encode("utf-8")


class CompiledSse:
    """An ``sse:`` spec ready to play (see the module docstring)."""

    __slots__ = ("_events", "_repeat", "_every_s", "_keepalive_s", "_drop_after", "_context")

    def __init__(self, env: TemplateEnvironment, spec: SseSpec) -> None:
        if not spec.events:
            raise ValueError("sse: give at least one event")
        names: set[str] = set()
        self._events = tuple(
            _Event(event, f"sse/events/{index}", names) for index, event in enumerate(spec.events)
        )
        self._repeat = spec.repeat
        self._every_s = spec.every_ms / 1000
        self._keepalive_s = None if spec.keepalive_ms is None else spec.keepalive_ms / 1000
        self._drop_after = spec.drop_after
        self._context = env.context_maker(names)

    def stream(self, request: Request | None, params: Mapping[str, str]) -> AsyncIterator[bytes]:
        """The body for one request: an async generator the transport pulls from."""
        last = request.header("last-event-id") if request is not None else None
        return self._play(request, dict(params), last)

    def _schedule(self) -> tuple[int, int | None]:
        """(events per round, total events or None for a stream without end)."""
        count = len(self._events)
        return count, None if self._repeat is None else count * self._repeat

    def _context_for(
        self, request: Request | None, params: dict[str, str], index: int
    ) -> dict[str, Any]:
        ctx = self._context(request, params)
        ctx["index"] = index
        return ctx

    def _resume_index(self, request: Request | None, params: dict[str, str], last: str) -> int:
        """The index after the event whose id is ``last``; 0 when none within reach."""
        count, total = self._schedule()
        reach = RESUME_SEARCH if total is None else min(total, RESUME_SEARCH)
        for index in range(reach):
            event = self._events[index % count]
            if event.id is not None and event.id(self._context_for(request, params, index)) == last:
                return index + 1
        return 0

    async def _play(
        self, request: Request | None, params: dict[str, str], last: str | None
    ) -> AsyncIterator[bytes]:
        count, total = self._schedule()
        index = 0 if last is None else self._resume_index(request, params, last)
        sent = 0
        while total is None or index < total:
            event = self._events[index % count]
            wait = event.delay_s if event.delay_s is not None else (self._every_s if sent else 0.0)
            async for comment in self._wait(wait):
                yield comment
            if self._drop_after is not None and sent >= self._drop_after:
                raise SseDropped(f"dropped after {sent} events")
            yield event.encode(self._context_for(request, params, index))
            sent += 1
            index += 1

    async def _wait(self, seconds: float) -> AsyncIterator[bytes]:
        """Sleep ``seconds``, with a keep-alive comment every ``keepalive_ms`` meanwhile."""
        keepalive = self._keepalive_s
        while keepalive is not None and seconds > keepalive:
            await asyncio.sleep(keepalive)
            seconds -= keepalive
            yield b": keep-alive\n\n"
        if seconds > 0:
            await asyncio.sleep(seconds)


def _one_line(text: str) -> str:
    """An ``event``/``id`` value: a newline would end the field, so it becomes a space."""
    return _LINES.sub(" ", text)


def _text(source: str | None, where: str, names: set[str]) -> Render | None:
    if source is None:
        return None
    run, used = compile_text(source, where, EVENT_NAMES)
    if run is None:
        return lambda ctx: source
    names.update(used)
    return lambda ctx: str(run(ctx))


def _data(value: Any, where: str, names: set[str]) -> Render | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _text(value, where, names)
    run, used = compile_value(value, where, EVENT_NAMES)
    names.update(used)
    if run is None:
        text = _json(value)
        return lambda ctx: text
    return lambda ctx: _json(run(ctx))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
