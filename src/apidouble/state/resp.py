"""A small Redis client for the state calls a request makes: one connection, pipelined.

redis-py's asyncio client takes a pooled connection, writes and reads for each command,
so fifty requests in flight cost fifty sockets and a few hundred microseconds of Python
each. The commands a request sends (one ``EVALSHA`` or ``HGET``) need none of that: here
every command of one loop iteration is written in one go on one connection, and replies,
which Redis sends in order, are parsed by hiredis and handed to their waiters in order.

Only what the state store sends goes through it; admin work (``SCAN``, pub/sub, the
journal) keeps redis-py.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from typing import Any

import hiredis

_CRLF = b"\r\n"


class ReplyError(Exception):
    """Redis answered with an error (``-ERR ...``)."""


def encode(args: tuple[Any, ...]) -> bytes:
    """One command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n" % len(data))
        out.append(data)
        out.append(_CRLF)
    return b"".join(out)


class _Protocol(asyncio.Protocol):
    def __init__(self, pipe: Pipe) -> None:
        self._pipe = pipe

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._pipe.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._pipe.received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._pipe.lost(exc)


class Pipe:
    """One pipelined connection to Redis."""

    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self._reader = hiredis.Reader(encoding="utf-8", replyError=ReplyError)
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._sent_at: deque[float] = deque()
        self._outgoing: list[bytes] = []
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self.timeout_s = 2.0
        """A reply later than this closes the connection (Redis hung, or the network)."""

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def send(self, *args: Any) -> asyncio.Future[Any]:
        """Queue a command; its reply (or ``ReplyError``, ``ConnectionError``) comes later."""
        loop = self._loop
        assert loop is not None and self.open
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append(future)
        self._sent_at.append(loop.time())
        self._outgoing.append(encode(args))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        if self._watchdog is None:
            self._watchdog = loop.call_later(self.timeout_s, self._watch)
        return future

    def _watch(self) -> None:
        """Close the connection if the oldest reply is overdue (its waiters fail at once)."""
        self._watchdog = None
        if not self._sent_at or self._loop is None:
            return
        overdue = self._sent_at[0] + self.timeout_s - self._loop.time()
        if overdue <= 0:
            self.close()
            self.lost(TimeoutError(f"no reply from Redis within {self.timeout_s} s"))
        else:
            self._watchdog = self._loop.call_later(overdue, self._watch)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._outgoing and self.transport is not None:
            self.transport.write(b"".join(self._outgoing))
        self._outgoing.clear()

    def received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        while (reply := reader.gets()) is not False:
            future = self._waiting.popleft()
            self._sent_at.popleft()
            if future.done():
                continue
            if isinstance(reply, ReplyError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def lost(self, exc: Exception | None) -> None:
        self.transport = None
        error = ConnectionError(f"Redis closed the connection ({exc or 'EOF'})")
        self._sent_at.clear()
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(error)
        self._outgoing.clear()

    async def connect(self, host: str, port: int, timeout_s: float) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._reader = hiredis.Reader(encoding="utf-8", replyError=ReplyError)
        await asyncio.wait_for(
            loop.create_connection(lambda: _Protocol(self), host, port), timeout_s
        )

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Script:
    """A Lua script run by its SHA1 (loaded on first use, again after Redis restarts)."""

    __slots__ = ("source", "sha")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
