"""Listening, timeouts and graceful shutdown for the HTTP/1.1 transport (and the HTTP/2
connections it hands over).

One ``ServeState`` per listening server holds what all its connections share. A single
sweeper timer per server enforces every connection's timeouts, so serving a request
never arms or cancels a timer; a timeout therefore fires between ``limit`` and
``limit + tick`` seconds, where ``tick`` is a quarter of the smallest timeout (at most 1 s).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..outcome import Forwarder, Handler
from .connection import Connection
from .http1 import HttpProtocol

if TYPE_CHECKING:
    from ..express import ExpressLane


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Caps that keep one client from holding memory or connections forever.

    ``header_timeout_s`` bounds the time to receive a request head (from the connection's
    start, or from the first byte of the next request on a keep-alive connection) and is
    also the body stall limit: a body that makes no progress for that long gets 408.
    """

    max_body_bytes: int = 10 * 1024 * 1024
    stream_body_bytes: int = 1024 * 1024
    """Declared request bodies above this, and chunked ones, stream to the upstream when
    the head decides a forward (``transport.upload``); ``max_body_bytes`` does not bound
    those."""
    max_header_bytes: int = 64 * 1024
    header_timeout_s: float = 10.0
    idle_timeout_s: float = 60.0
    shutdown_grace_s: float = 10.0
    max_connections: int = 20_000
    """Connections one listener holds at once (HTTP/1.1, HTTP/2 and WebSockets together);
    one more is answered 503 and closed, before anything of it is read."""


DEFAULT_LIMITS = ServerLimits()


class Multiplexed(Protocol):
    """A connection of many streams (HTTP/2) that ends gracefully on its own."""

    def shutdown(self) -> None:
        """Take no more streams; close once those taken are answered."""

    def abort(self) -> None:
        """Close now, answered or not."""


class ServeState:
    """What every connection of one server shares: handler, forwarder, limits, live
    connections (HTTP/1.1 ones, HTTP/2 ones, and other upgraded ones by their
    transport), tasks."""

    __slots__ = (
        "handler",
        "express",
        "forwarder",
        "limits",
        "loop",
        "connections",
        "upgraded",
        "multiplexed",
        "tasks",
        "closing",
        "http2",
        "refused",
        "_empty",
        "_tick",
        "_sweeper",
        "_outbox",
    )

    def __init__(
        self,
        handler: Handler,
        limits: ServerLimits,
        loop: asyncio.AbstractEventLoop,
        forwarder: Forwarder | None = None,
    ) -> None:
        self.handler = handler
        self.express: ExpressLane | None = getattr(handler, "express", None)
        """Static answers the transport may write without asking the handler."""
        self.forwarder = forwarder
        self.limits = limits
        self.loop = loop
        self.connections: set[Connection] = set()
        self.upgraded: set[asyncio.BaseTransport] = set()
        """Transports another protocol took over (WebSocket): shutdown closes them."""
        self.multiplexed: set[Multiplexed] = set()
        """HTTP/2 connections, until they are lost: shutdown lets their streams finish."""
        self.tasks: set[asyncio.Task[None]] = set()
        self.closing = False
        self.refused: Counter[str] = Counter()
        """Requests and connections the transport refused itself, by reason
        (``replies.REFUSALS``), for ``apidouble_refused_total``."""
        self.http2 = True
        """Cleartext connections may switch to HTTP/2 (h2c: prior knowledge or
        ``Upgrade: h2c``); ``--no-http2`` turns it off."""
        self._empty: asyncio.Future[None] | None = None
        smallest = min(limits.header_timeout_s, limits.idle_timeout_s)
        self._tick = min(1.0, max(0.01, smallest / 4))
        self._sweeper: asyncio.TimerHandle | None = None
        self._outbox: list[Connection] = []
        """Connections holding answers written during this turn of the loop."""

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a coroutine as a task we keep a reference to until it is done."""
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def hold(self, conn: Connection) -> None:
        """Send what ``conn`` holds (``Connection.send``) at the end of this turn of the
        event loop, with every other answer written in it.

        On loopback each write to an idle client wakes it on another core, and that wake
        cost more than composing a templated answer (measured: 30-50 % of the rate of a
        server whose answers take longer than the client's turn). Answers written in one
        turn leave together, after every read of that turn was served, so the client is
        woken once per turn rather than once per answer; the added latency is one hop
        through the ready queue. The express lane writes at once: its answers come
        faster than the client reads them, so holding them only cost overlap."""
        outbox = self._outbox
        if not outbox:
            self.loop.call_soon(self._send_held)
        outbox.append(conn)

    def _send_held(self) -> None:
        outbox = self._outbox
        self._outbox = []
        for conn in outbox:
            conn.release()

    def full(self) -> bool:
        """Whether the listener holds ``max_connections`` already."""
        held = len(self.connections) + len(self.multiplexed) + len(self.upgraded)
        return held >= self.limits.max_connections

    def forget(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self._note_empty()

    def release(self, conn: Multiplexed) -> None:
        """An HTTP/2 connection is gone."""
        self.multiplexed.discard(conn)
        self._note_empty()

    def _note_empty(self) -> None:
        empty = self._empty
        if not self.connections and not self.multiplexed and empty is not None:
            if not empty.done():
                empty.set_result(None)

    def hand_over(self, conn: Connection, transport: asyncio.BaseTransport) -> None:
        """``conn`` gave its transport to another protocol: keep only the transport, so
        shutdown can still close it; the sweeper drops it once it is closed."""
        self.upgraded.add(transport)
        self.forget(conn)

    def start_sweeping(self) -> None:
        self._sweeper = self.loop.call_later(self._tick, self._sweep)

    def _sweep(self) -> None:
        now = self.loop.time()
        for conn in tuple(self.connections):
            conn.check_timeouts(now)
        if self.upgraded:
            self.upgraded.difference_update([t for t in self.upgraded if t.is_closing()])
        self._sweeper = self.loop.call_later(self._tick, self._sweep)

    async def drain(self, grace_s: float) -> None:
        """Close idle and upgraded connections now, wait for in-flight ones (HTTP/2 ones
        answer the streams they took, then GOAWAY), abort the rest after grace."""
        self.closing = True
        multiplexed = self.multiplexed
        for transport in tuple(self.upgraded):
            protocol: object = transport.get_protocol()
            if protocol not in multiplexed:  # an h2c one (by Upgrade) is drained below
                transport.close()
        self.upgraded.clear()
        for conn in tuple(self.connections):
            conn.shutdown()
        for stream_conn in tuple(multiplexed):
            stream_conn.shutdown()
        if self.connections or multiplexed:
            self._empty = self.loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._empty), grace_s)
            except TimeoutError:
                for conn in tuple(self.connections):
                    conn.abort()
                for stream_conn in tuple(multiplexed):
                    stream_conn.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for task in tuple(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(tuple(self.tasks), timeout=1.0)


def http_url(host: str, port: int, scheme: str = "http") -> str:
    """``http://host:port`` (or ``https://``), an IPv6 host in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


class Listening(Protocol):
    """What ``HttpServer`` stops: an ``asyncio.Server``, or the HTTPS accept loop."""

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...


class HttpServer:
    """A listening HTTP/1.1 server; ``port`` is the port actually bound."""

    def __init__(
        self,
        server: Listening,
        state: ServeState,
        host: str,
        port: int,
        scheme: str = "http",
    ) -> None:
        self._server = server
        self._state = state
        self.host = host
        self.port = port
        self.scheme = scheme
        """``https`` for a listener that speaks TLS (``tls.listen``)."""

    @property
    def url(self) -> str:
        return http_url(self.host, self.port, self.scheme)

    @property
    def connections(self) -> int:
        """HTTP connections open now, HTTP/1.1 and HTTP/2 (not WebSockets)."""
        return len(self._state.connections) + len(self._state.multiplexed)

    @property
    def refused(self) -> Counter[str]:
        """What the transport refused so far, by reason (``replies.REFUSALS``)."""
        return self._state.refused

    async def close(self) -> None:
        """Stop accepting; let in-flight requests finish within ``shutdown_grace_s``."""
        if self._state.closing:
            return
        self._state.closing = True  # what is accepted from now on is closed at once
        await _let_accepts_settle(self._server, self._state.loop)
        self._server.close()
        await self._state.drain(self._state.limits.shutdown_grace_s)
        await self._server.wait_closed()


async def _let_accepts_settle(server: Listening, loop: asyncio.AbstractEventLoop) -> None:
    """asyncio's selector loop makes an accepted connection's transport one turn after
    ``accept()``; a ``Server`` closed in that turn leaves the transport half made and open
    (``Server._attach`` asserts, and the error is swallowed). Stop watching the listening
    sockets, then let those turns pass, so every accepted connection gets its protocol
    (which closes it, the server being closing). uvloop and the TLS accept loop make the
    transport at once: nothing to wait for."""
    if not isinstance(server, asyncio.Server) or not isinstance(loop, asyncio.SelectorEventLoop):
        return
    for sock in server.sockets:
        loop.remove_reader(sock.fileno())
    for _ in range(2):  # the accept tasks' first step, then their transports' callbacks
        await asyncio.sleep(0)


async def start_server(
    handler: Handler,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: ServerLimits = DEFAULT_LIMITS,
    reuse_port: bool = False,
    forwarder: Forwarder | None = None,
    http2: bool = True,
) -> HttpServer:
    """Listen on ``host:port`` (0 picks a free port) and serve ``handler``; ``forwarder``
    carries out its ``Forward`` outcomes (without one they get a 502); ``http2`` lets
    clients switch to h2c."""
    loop = asyncio.get_running_loop()
    state = ServeState(handler, limits, loop, forwarder)
    state.http2 = http2
    server = await loop.create_server(
        lambda: HttpProtocol(state), host, port, reuse_port=reuse_port or None, backlog=4096
    )
    bound = server.sockets[0].getsockname()
    state.start_sweeping()
    return HttpServer(server, state, host, int(bound[1]))


def install_event_loop_policy() -> str:
    """Use uvloop where it is installed (it is what makes the numbers in BENCH.md)."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"
