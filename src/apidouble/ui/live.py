"""``GET /__admin/ui/live``: new journal entries and a stats line, as Server-Sent Events.

New entries are found by polling the journal every ``POLL_S`` for ids past the last one
sent, never with a journal listener: a listener would make every request (the express
lane's too) build an event; a poll costs the serving path nothing. Once a second a
``stats`` event says what the counters moved by (requests and status classes in that
second, and per endpoint: ``per_endpoint``), what the journal holds, how many stubs were
hit and how many new entries were passed over (``skipped``): a poll sends the newest
``CAP`` at most, so under any load its work is bounded (a one-entry probe, then ``CAP``
entries parsed, ``READS`` times at most when entries keep arriving during the poll) and
so is what the browser gets. A stream ends when its client leaves (the transport cancels
it and closes the iterator) or the server stops.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from ..journal import Tally
from ..metrics import Counters
from ..model import Request
from ..outcome import Outcome, Respond, Response
from ..realtime.sse import EVENT_STREAM_HEADERS
from ..responses import json_response
from .per_endpoint import Totals, breakdown, by_class, totals

LIVE_PATH = "/__admin/ui/live"
POLL_S = 0.25
STATS_S = 1.0
MAX_STREAMS = 16
"""Open streams at most; one more gets 503 (each one polls the journal)."""
CAP = 200
"""New entries sent per poll at most (800 a second); the rest are counted as skipped."""


class LiveJournal(Protocol):
    """What the stream reads of a journal (the local one or the shared one)."""

    def newest(self, limit: int | None = None) -> list[dict[str, Any]]: ...

    def __len__(self) -> int: ...

    @property
    def size_bytes(self) -> int: ...

    @property
    def evicted_total(self) -> int: ...

    def tallies(self) -> dict[str | None, Tally]: ...


_BUSY = Respond(
    json_response(503, {"error": f"at most {MAX_STREAMS} live streams at once"}).with_headers(
        [("retry-after", "5")]
    )
)
_NOT_ACCEPTABLE = Respond(
    json_response(406, {"error": "this route answers Accept: text/event-stream only"})
)
_HEAD = Response.build_streamed(200, [*EVENT_STREAM_HEADERS, ("x-content-type-options", "nosniff")])


def _event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


READS = 3
"""Journal reads per poll at most (one more when entries arrived during the last)."""


def newer_than(journal: LiveJournal, last: int, cap: int = CAP) -> tuple[list[dict[str, Any]], int]:
    """The newest ``cap`` kept entries with an id past ``last``, oldest first, and how many
    ids past ``last`` were passed over to keep to ``cap``.

    Ids increase by one per entry, so the newest id says how many are new and only as many
    as will be sent are read and parsed, whatever the load: ``READS`` reads of ``cap``
    entries at most (a read is repeated, wider, when entries arrived since the last one).
    """
    head = journal.newest(1)
    if not head or head[0]["id"] <= last:
        return [], 0
    limit = min(head[0]["id"] - last, cap)
    for _ in range(READS):
        found = journal.newest(limit)
        fresh = [entry for entry in found if entry["id"] > last]
        fresh.reverse()
        if len(found) < limit or len(fresh) < len(found) or fresh[0]["id"] == last + 1:
            return fresh, 0  # everything kept since ``last`` was read
        wider = min(fresh[-1]["id"] - last, cap)
        if wider <= limit:
            break
        limit = wider
    return fresh, fresh[0]["id"] - last - 1


class LiveRoute:
    """Opens streams, at most ``MAX_STREAMS`` at once."""

    def __init__(
        self,
        journal: LiveJournal,
        counters: Counters,
        closing: Callable[[], bool] = lambda: False,
        poll_s: float = POLL_S,
        stats_s: float = STATS_S,
    ) -> None:
        self.journal = journal
        self.counters = counters
        self.closing = closing
        """Whether the server is stopping: streams end at their next poll."""
        self.poll_s = poll_s
        self.stats_s = stats_s
        self.open = 0

    def __call__(self, request: Request) -> Outcome:
        accept = request.header("accept") or ""
        if "text/event-stream" not in accept:
            return _NOT_ACCEPTABLE
        if self.open >= MAX_STREAMS:
            return _BUSY
        self.open += 1
        return Respond(_HEAD, stream=_Stream(self._events(), self._release))

    def _release(self) -> None:
        self.open -= 1

    def stats(
        self, before: Totals, elapsed_s: float, skipped: int = 0
    ) -> tuple[dict[str, Any], Totals]:
        """The stats event, and the totals to diff the next one against."""
        since_start = totals(self.counters)
        now, earlier = by_class(since_start), by_class(before)
        moved = {name: count - earlier.get(name, 0) for name, count in now.items()}
        moved = {name: count for name, count in moved.items() if count > 0}
        endpoints, other = breakdown(since_start, before)
        journal = self.journal
        hits = {key: tally.recorded for key, tally in journal.tallies().items() if key is not None}
        body = {
            "time": time.time(),
            "requests": sum(moved.values()),
            "per_s": round(sum(moved.values()) / elapsed_s, 2) if elapsed_s > 0 else 0.0,
            "status": moved,
            "total": sum(now.values()),
            "journal": {
                "entries": len(journal),
                "bytes": journal.size_bytes,
                "evicted": journal.evicted_total,
            },
            "hits": hits,
            "endpoints": endpoints,
            "other": other,
            "streams": self.open,
            "skipped": skipped,
        }
        return body, since_start

    async def _events(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        newest = self.journal.newest(1)
        last = newest[0]["id"] if newest else 0
        body, totals = self.stats({}, 0.0)
        stamp = loop.time()
        skipped = 0
        first = {**body, "requests": 0, "status": {}, "endpoints": [], "other": None}
        yield b"retry: 2000\n\n" + _event("stats", first)
        while not self.closing():
            await asyncio.sleep(self.poll_s)
            if self.closing():
                return
            chunks: list[bytes] = []
            fresh, passed = newer_than(self.journal, last)
            skipped += passed
            if fresh:
                last = fresh[-1]["id"]
                chunks.extend(_event("request", entry) for entry in fresh)
            now = loop.time()
            if now - stamp >= self.stats_s:
                body, totals = self.stats(totals, now - stamp, skipped)
                stamp, skipped = now, 0
                chunks.append(_event("stats", body))
            if chunks:
                yield b"".join(chunks)


def server_closing(server: object) -> bool:
    """Whether a transport server (``HttpServer``, or None before it starts) is stopping."""
    return bool(getattr(getattr(server, "_state", None), "closing", False))


class _Stream:
    """The event generator, with its slot given back exactly once: on ``aclose`` (which
    the transport always calls, also for a stream it never started) or at its end."""

    def __init__(self, events: AsyncIterator[bytes], release: Callable[[], None]) -> None:
        self._events = events
        self._release: Callable[[], None] | None = release

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._events.__anext__()
        except StopAsyncIteration:
            self._give_back()
            raise

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._events, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            self._give_back()

    def _give_back(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()
