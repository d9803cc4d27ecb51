"""A request body streamed to the upstream as it arrives, with flow control.

When the engine can tell from a request's head alone that it is forwarded
(``Engine.forward_head``), the transport does not buffer the body: the parser's
``on_body`` feeds an ``Upload`` and the proxy's HTTP client pulls from it. Only a bounded
amount waits in between: past ``HIGH_WATER`` bytes the connection stops reading the
client's socket, and starts again once the upstream has taken what waited (in one
write), so a slow upstream holds the client instead of our memory.

An upload that cannot finish (the client went away, stalled, or half-closed early)
raises ``UploadBroken`` from the iterator, which makes the HTTP client abandon the
upstream request: the upstream sees its connection close before the body's end.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Final

HIGH_WATER: Final = 256 * 1024
"""Bytes waiting for the upstream before the client's socket stops being read."""


class UploadBroken(Exception):
    """The request body stopped before its end; ``status`` is what the journal shows."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Upload:
    """One request's body on its way: ``feed`` and ``finish`` from the parser, ``async
    for`` from the HTTP client. ``size`` is the declared Content-Length, -1 when chunked.

    ``flow(True)`` asks the connection to stop reading, ``flow(False)`` to go on;
    ``started`` runs once, when the client first asks for a chunk (the upstream is
    connected and has our head: the moment to send ``100 Continue``).
    """

    __slots__ = (
        "size",
        "received",
        "complete",
        "paused",
        "pulled",
        "_chunks",
        "_waiting",
        "_waiter",
        "_broken",
        "_flow",
        "_started",
        "_loop",
    )

    def __init__(
        self,
        size: int,
        loop: asyncio.AbstractEventLoop,
        flow: Callable[[bool], None],
        started: Callable[[], None] | None = None,
    ) -> None:
        self.size = size
        self.received = 0
        """Bytes of body the client has sent so far."""
        self.complete = False
        """The parser saw the body's end."""
        self.paused = False
        """The connection is not reading because the queue is full (not a client stall)."""
        self.pulled = False
        """The upstream has asked for the body (before that, a client that waits for
        ``100 Continue`` sends nothing, and is not stalling either)."""
        self._chunks: deque[bytes] = deque()
        self._waiting = 0
        self._waiter: asyncio.Future[None] | None = None
        self._broken: UploadBroken | None = None
        self._flow: Callable[[bool], None] | None = flow
        self._started = started
        self._loop = loop

    @property
    def ended(self) -> bool:
        """Nothing more will be fed: complete, broken or discarded."""
        return self.complete or self._broken is not None or self._flow is None

    def feed(self, data: bytes) -> None:
        if self.ended:
            return
        self.received += len(data)
        self._chunks.append(data)
        self._waiting += len(data)
        if self._waiting > HIGH_WATER and not self.paused and self._flow is not None:
            self.paused = True
            self._flow(True)
        self._wake()

    def finish(self) -> None:
        if not self.ended:
            self.complete = True
            self._wake()

    def abort(self, reason: str, status: int = 400) -> None:
        """The body will not be complete: the reader gets ``UploadBroken``."""
        if not self.ended:
            self._broken = UploadBroken(reason, status)
            self._wake()

    def discard(self) -> None:
        """The exchange is over without the whole body: drop what waits, feed nothing."""
        self._chunks.clear()
        self._waiting = 0
        self._flow = None
        if self._broken is None and not self.complete:
            self._broken = UploadBroken("the exchange ended before the body", 400)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def __aiter__(self) -> Upload:
        return self

    async def __anext__(self) -> bytes:
        self.pulled = True
        started = self._started
        if started is not None:
            self._started = None
            started()
        while True:
            if self._broken is not None:
                raise self._broken
            if self._chunks:
                break
            if self.complete:
                raise StopAsyncIteration
            self._waiter = waiter = self._loop.create_future()
            await waiter
        chunks = self._chunks
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._waiting = 0
        if self.paused and self._flow is not None:
            self.paused = False
            self._flow(False)
        return data
