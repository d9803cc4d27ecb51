"""One connection's serving side: carry out each ``Outcome`` in request order, then close.

``Connection`` holds what outlives a single parse: the queue of pipelined requests, the
response in flight and the closing state. ``http1.HttpProtocol`` adds the parser
callbacks and the hand-over of an upgraded connection on top. Outcomes are dispatched
with ``match`` and ``assert_never``; only the common answer, a ``Respond`` with no delay
returned synchronously, skips the match and is written from inside the parser callback
(no task, no timer): that is the fast path.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, assert_never

from ..model import Request
from ..outcome import Fail, Forward, Outcome, Respond, Response, Upgrade
from ..realtime.websocket import Offering
from .forwarding import relay
from .replies import (
    CHUNKED,
    CONTINUE,
    END_CLOSE,
    END_KEEP,
    END_KEEP_10,
    INTERNAL_ERROR,
    REFUSALS,
)
from .sabotage import carry_out_fault, send_paced
from .streaming import close_stream, send_stream
from .upload import Upload

if TYPE_CHECKING:
    from .server import ServeState

_log = logging.getLogger("apidouble.transport")

MAX_QUEUE: Final = 16
"""Parsed requests waiting behind the one being served before reading pauses."""
_BIG_BODY: Final = 64 * 1024


@dataclass(slots=True)
class UpgradeRequest:
    """A parsed request asking to switch protocols, with the bytes that followed its head."""

    request: Request
    leftover: bytes


def asks_for_h2c(request: Request) -> bool:
    """``Upgrade: h2c`` with one ``HTTP2-Settings`` and no body (RFC 7540 §3.2): a body
    would have to be read as HTTP/1.1 first, and the RFC lets such a request stay one."""
    return (
        request.header_values("upgrade") == ["h2c"]
        and len(request.header_values("http2-settings") or ()) == 1
        and request.header_values("transfer-encoding") is None
        and (request.header_values("content-length") or ["0"]) == ["0"]
    )


Queued = tuple[Request, bool] | UpgradeRequest | Response
"""A request waiting its turn (with its keep-alive), an upgrade request, or a refusal."""


class Connection(asyncio.Protocol):
    """The serving half of one HTTP/1.1 connection (``HttpProtocol`` parses into it)."""

    __slots__ = tuple(
        """transport _state _handler _loop _queue _busy _in_next _no_more _closing
        _lost _peer_eof _fresh _read_paused _write_paused _continue_pending _cur_keep
        _cur_bodyless _cur_v11 _started _delayed _delayed_outcome _deadline _body_size
        _seen_body _cancel_pacing _leftover _held _pump _drain_waiter _upload _relaying
        _upload_paused _outgoing""".split()
    )

    def __init__(self, state: ServeState) -> None:
        self.transport: asyncio.Transport | None = None
        self._state = state
        self._handler = state.handler
        self._loop = state.loop
        self._queue: deque[Queued] = deque()
        self._busy = self._in_next = self._no_more = self._closing = self._lost = False
        self._peer_eof = self._read_paused = self._write_paused = False
        self._continue_pending = self._cur_bodyless = self._held = False
        self._fresh = self._cur_keep = self._cur_v11 = True
        self._started = self._deadline = 0.0
        self._body_size = self._seen_body = 0
        self._delayed: asyncio.TimerHandle | None = None
        self._delayed_outcome: Outcome | None = None
        self._cancel_pacing: Callable[[], None] | None = None
        self._leftover: bytes | None = None
        """Set while the request being served asked to upgrade: the bytes after its head."""
        self._outgoing: list[bytes] | None = None
        """Answers written this turn of the loop, not yet on the transport (``send``):
        anything else that touches the transport calls ``release`` first, so bytes
        leave in the order they were written."""
        self._pump: asyncio.Task[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._upload: Upload | None = None
        """The body being streamed to the upstream, from its request's head to its end."""
        self._relaying: Upload | None = None
        """That body, until the forward of its request takes it."""
        self._upload_paused = False
        """Reading paused because the streamed body's queue is full."""

    # --- dispatching -------------------------------------------------------------------

    def _dispatch(self, request: Request, keep: bool) -> None:
        self._busy = True
        self._fresh = False
        self._cur_keep = keep
        self._cur_bodyless = request.method == "HEAD"
        self._cur_v11 = request.http_version == "1.1"
        self._started = self._loop.time()
        try:
            result = self._handler.handle(request)
        except Exception:
            _log.exception("handler failed on %s %s", request.method, request.path)
            result = INTERNAL_ERROR
        if isinstance(result, Respond):  # the fast path: no match, no task
            if result.delay_s > 0:
                self._wait(result)
            else:
                self._write(result)
            return
        match result:
            case Fail() | Forward() | Upgrade():
                self._start(result)
            case _:
                self._state.spawn(self._await_outcome(result))

    def _dispatch_upgrade(self, item: UpgradeRequest) -> None:
        """Serve the connection's last request, which asked to switch protocols; the
        handler is wrapped for it alone, so an endpoint that answers its own requests
        (GraphQL) may take the connection too (``realtime.websocket.Offering``)."""
        self._leftover = item.leftover
        if self._state.http2 and asks_for_h2c(item.request):
            from .http2_h2c import H2cUpgrade  # h2: imported by the first h2c request only

            self._start(Upgrade(H2cUpgrade(self._state), item.request))
            return
        handler = self._handler
        self._handler = Offering(handler)
        try:
            self._dispatch(item.request, False)
        finally:
            self._handler = handler

    async def _await_outcome(self, pending: Awaitable[Outcome]) -> None:
        try:
            outcome = await pending
        except Exception:
            _log.exception("handler failed")
            outcome = INTERNAL_ERROR
        match outcome:
            case Respond() | Fail() | Forward() | Upgrade():
                self._start(outcome)
            case _:
                _log.error("handler returned %r, not an Outcome", outcome)
                self._start(INTERNAL_ERROR)

    def _start(self, outcome: Outcome) -> None:
        if outcome.delay_s > 0:
            self._wait(outcome)
        else:
            self._carry_out(outcome)

    def _wait(self, outcome: Outcome) -> None:
        """A non-blocking delay: a timer, not a task (cancelled if the client leaves)."""
        if self._lost:
            self._carry_out(outcome)
        else:
            self._delayed_outcome = outcome
            self._delayed = self._loop.call_later(outcome.delay_s, self._carry_out, outcome)

    def _carry_out(self, outcome: Outcome) -> None:
        match outcome:
            case Respond():
                self._write(outcome)
            case Fail():
                self._sabotage(outcome)
            case Forward():
                self._forward(outcome)
            case Upgrade():
                self._take_over(outcome)
            case _:
                assert_never(outcome)

    # --- writing a response -----------------------------------------------------------

    def _write(self, outcome: Respond) -> None:
        """Send one response, tell the handler, then serve the next queued request."""
        self._delayed = self._delayed_outcome = None
        transport = self.transport
        if self._lost or transport is None:
            self._report(outcome)
            if outcome.stream is not None:
                self._state.spawn(close_stream(outcome.stream))
            return
        if outcome.stream is not None:
            self._write_streamed(outcome, outcome.stream, transport)
            return
        response = outcome.response
        keep = self._cur_keep and not self._peer_eof and not self._state.closing
        end = (END_KEEP if self._cur_v11 else END_KEEP_10) if keep else END_CLOSE
        status = response.status
        # Report first: a client in another thread may read the journal the moment the
        # bytes arrive, so the exchange must be recorded before they leave.
        self._report(outcome)
        bodyless = self._cur_bodyless or status == 204 or status == 304 or status < 200
        if bodyless:
            self.send(response.head + end)
        elif not outcome.pacing and len(response.body) < _BIG_BODY:
            self.send(b"".join((response.head, end, response.body)))
        else:
            self._write_now(outcome, response, end, keep)
            return
        self._after_write(keep)

    def _write_now(self, outcome: Respond, response: Response, end: bytes, keep: bool) -> None:
        """A paced or large body: straight to the transport, after what it holds."""
        self.release()
        transport = self.transport
        if transport is None:
            return
        try:
            if outcome.pacing:
                self._cancel_pacing = send_paced(
                    transport,
                    self._loop,
                    response.head + end,
                    response.body,
                    outcome.pacing,
                    lambda: self._after_write(keep),
                )
                return
            transport.writelines((response.head + end, response.body))
        except RuntimeError:  # uvloop: the peer reset and the handle closed just now
            return
        self._after_write(keep)

    def send(self, data: bytes) -> None:
        """Write ``data`` at the end of this turn of the loop (``ServeState.hold``)."""
        outgoing = self._outgoing
        if outgoing is None:
            self._outgoing = [data]
            self._state.hold(self)
        else:
            outgoing.append(data)

    def release(self) -> None:
        """Put what ``send`` holds on the transport now."""
        outgoing = self._outgoing
        if outgoing is None:
            return
        self._outgoing = None
        transport = self.transport
        if transport is None or self._lost:
            return
        try:
            transport.write(outgoing[0] if len(outgoing) == 1 else b"".join(outgoing))
        except RuntimeError:  # uvloop: the peer reset and the handle closed just now
            pass

    def _write_streamed(
        self, outcome: Respond, stream: AsyncIterator[bytes], transport: asyncio.Transport
    ) -> None:
        """The head now, then the stream's chunks from a task: chunked on HTTP/1.1; on 1.0
        the body ends where the connection does. HEAD and bodyless statuses get the head."""
        status = outcome.response.status
        v11 = self._cur_v11
        bodyless = self._cur_bodyless or status == 204 or status == 304 or status < 200
        keep = self._cur_keep and not self._peer_eof and not self._state.closing
        keep = keep and (v11 or bodyless)
        end = (END_KEEP if v11 else END_KEEP_10) if keep else END_CLOSE
        framing = CHUNKED if v11 and not (status == 204 or status == 304 or status < 200) else b""
        self._report(outcome)
        self.release()
        try:
            transport.write(outcome.response.head + framing + end)
        except RuntimeError:  # uvloop: the peer reset and the handle closed just now
            self._state.spawn(close_stream(stream))
            return
        if bodyless:
            self._state.spawn(close_stream(stream))
            self._after_write(keep)
            return
        self._pump = self._state.spawn(self._send_body(stream, transport, v11, keep))

    async def _send_body(
        self, stream: AsyncIterator[bytes], transport: asyncio.Transport, chunked: bool, keep: bool
    ) -> None:
        complete = await send_stream(transport, stream, chunked, self._writable)
        self._pump = None
        if self._lost:
            return
        if not complete:  # the message can't be ended cleanly: make the cut visible
            transport.abort()
            return
        self._after_write(keep and not self._peer_eof and not self._state.closing)

    def pause_writing(self) -> None:
        self._write_paused = True
        self._flow()

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)
        self._flow()

    def _writable(self) -> asyncio.Future[None] | None:
        """Something to await while the client isn't reading, for a streamed body."""
        if not self._write_paused:
            return None
        self._drain_waiter = waiter = self._loop.create_future()
        return waiter

    def _after_write(self, keep: bool) -> None:
        """The response left: close, or serve what the client sent next."""
        self._cancel_pacing = None
        if not keep:
            self._close_after_write()
            return
        self._busy = False
        if self._queue or self._continue_pending or self._read_paused:
            if not self._in_next:
                self._next()
        else:  # nothing waiting: the client's clock starts again
            self._deadline = 0.0
            self._seen_body = self._body_size

    def _report(self, outcome: Outcome) -> None:
        """Tell the handler, once per handled request, even when the client is gone."""
        try:
            self._handler.served(outcome, self._loop.time() - self._started)
        except Exception:
            _log.exception("served() hook failed")

    # --- the other outcomes -----------------------------------------------------------

    def _sabotage(self, outcome: Fail) -> None:
        """Carry out a fault instead of answering; the connection serves nothing more.

        It stays "busy" (not closing), so client timeouts leave a held connection alone.
        """
        self._delayed = self._delayed_outcome = None
        self._report(outcome)
        transport = self.transport
        if self._lost or transport is None:
            return
        self._no_more = True
        self._queue.clear()
        self.release()
        transport.pause_reading()
        try:
            self._delayed = carry_out_fault(outcome.plan, transport, self._loop)
        except RuntimeError:  # the peer went away first
            pass

    def _forward(self, outcome: Forward) -> None:
        """Ask the forwarder off the parser callback; its answer is written like any other."""
        self._delayed = self._delayed_outcome = None
        if self._lost:
            self._report(outcome)
            return
        self._state.spawn(self._relay(outcome))

    async def _relay(self, outcome: Forward) -> None:
        upload = self._relaying
        if upload is None:
            self._write(await relay(self._state.forwarder, outcome))
            return
        self._relaying = None
        respond = await relay(self._state.forwarder, outcome, upload)
        if not upload.complete:
            # Answered before the body's end (the upstream failed or answered early): the
            # rest can't be drained in a reasonable time, so this answer ends the
            # connection (half-closed, lingering so the client can read it).
            upload.discard()
            if self._upload is upload:
                self._upload = None
            self._cur_keep = False
            self._no_more = True
            self._set_upload_paused(False)
        self._write(respond)

    def _set_upload_paused(self, paused: bool) -> None:
        """The streamed body's flow control (``Upload``'s ``flow``)."""
        if self._upload_paused != paused:
            self._upload_paused = paused
            self._flow()

    def _take_over(self, outcome: Upgrade) -> None:
        """Hand the connection to ``outcome.handler`` (the parsing side knows how)."""
        raise NotImplementedError

    # --- pipelining and flow ------------------------------------------------------------

    def _next(self) -> None:
        """Serve queued requests in order until one goes asynchronous, then wait on the client."""
        self._in_next = True
        queue = self._queue
        try:
            while queue and not self._busy and not self._closing:
                item = queue.popleft()
                if isinstance(item, Response):
                    self._write_final(item)
                elif isinstance(item, UpgradeRequest):
                    self._dispatch_upgrade(item)
                else:
                    self._dispatch(*item)
        finally:
            self._in_next = False
        if self._busy or self._closing:
            if self._read_paused:
                self._flow()
            return
        self._deadline = 0.0
        self._seen_body = self._body_size
        if self._continue_pending and self.transport is not None:
            self._continue_pending = False
            self.release()
            self.transport.write(CONTINUE)
        self._flow()

    def _flow(self) -> None:
        """Pause reading while the client won't read or too many requests wait."""
        transport = self.transport
        if transport is None or self._closing or self._held:
            return
        pause = self._write_paused or self._upload_paused or len(self._queue) >= MAX_QUEUE
        if pause != self._read_paused:
            self._read_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    # --- refusing and closing -----------------------------------------------------------

    def _reject(self, response: Response) -> None:
        """Answer a request we refuse, after any responses still owed, then close."""
        self._state.refused[REFUSALS.get(response.status, str(response.status))] += 1
        self._no_more = True
        self._continue_pending = False
        if self._busy:
            self._queue.append(response)
        else:
            self._write_final(response)

    def _write_final(self, response: Response) -> None:
        transport = self.transport
        if transport is None or self._closing:
            return
        self.release()
        transport.write(b"".join((response.head, END_CLOSE, response.body)))
        self._close_after_write()

    def _close_after_write(self) -> None:
        """Half-close and linger, so unread request bytes can't reset away our response."""
        self._closing = self._no_more = True
        self._busy = False
        self._queue.clear()
        self._deadline = 0.0
        self._leftover = None
        transport = self.transport
        if transport is None:
            return
        self.release()
        if self._read_paused or self._held:
            self._read_paused = self._held = False
            transport.resume_reading()
        if self._peer_eof or self._state.closing or not transport.can_write_eof():
            transport.close()
        else:
            transport.write_eof()

    def shutdown(self) -> None:
        """Server is stopping: close now unless a response is in flight."""
        if not self._busy and self.transport is not None:
            self._closing = self._no_more = True
            self.release()
            self.transport.close()

    def abort(self) -> None:
        self._outgoing = None
        if self.transport is not None:
            self.transport.abort()

    def check_timeouts(self, now: float) -> None:
        """Called by the server's sweeper; the parsing side knows which clock runs."""
        raise NotImplementedError
