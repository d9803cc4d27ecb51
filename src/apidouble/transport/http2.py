"""HTTP/2 over one connection (ALPN ``h2`` over TLS, or h2c): frames in, a ``Request`` per
stream out, served by the same handler as HTTP/1.1.

The ``h2`` state machine turns bytes into events and answers into frames; this module
only moves them. Each stream whose request ends becomes a ``Request`` for the handler's
``handle``, and ``served`` is told before its answer leaves, as on HTTP/1.1: stubs,
templates and the journal see the same exchange, noted ``h2``. Streams are independent:
a delay is a timer per stream, a streamed body (SSE) a task per stream, and bodies leave
as fast as the peer's flow-control windows (and the socket) let them.

Faults take their HTTP/2 form: ``connection_reset`` and ``empty_response`` reset their
stream (``RST_STREAM`` ``INTERNAL_ERROR`` and ``NO_ERROR``), ``timeout`` holds its stream
and then cancels it, and the faults that send bytes which break the framing
(``malformed_chunk``, ``random_data_then_close``) end the connection with ``GOAWAY``
``PROTOCOL_ERROR``. A frame that breaks the protocol gets ``GOAWAY`` with the error code
RFC 9113 gives it (``PROTOCOL_ERROR``, ``FRAME_SIZE_ERROR``, ``COMPRESSION_ERROR``...),
then the connection closes; the server serves on.

Shutdown is graceful: ``shutdown`` lets the streams taken so far be answered, refuses
those opened after it (``RST_STREAM`` ``REFUSED_STREAM``: never served, safe to retry on
another connection, RFC 9113 §8.7), then sends ``GOAWAY`` ``NO_ERROR`` naming the last
stream taken and closes; ``ServeState.drain`` aborts what is left after its grace. The
GOAWAY comes last, not first, because clients built on the ``h2`` library (httpx) fail
every open stream when one arrives (h2 closes its state machine on GOAWAY).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Final, cast

from h2.connection import ConnectionState
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    Event,
    RemoteSettingsChanged,
    RequestReceived,
    StreamEnded,
    StreamReset,
    TrailersReceived,
    WindowUpdated,
)
from h2.exceptions import ProtocolError

from ..model import Request
from ..outcome import Fail, Forward, Outcome, Respond, Response, Upgrade
from .forwarding import relay
from .http2_streams import Fields, Stream, bodyless, response_fields
from .http2_wire import compression_goaway, is_compression_error, server_connection
from .replies import BAD_REQUEST, BODY_TOO_LARGE, INTERNAL_ERROR, REFUSALS, REQUEST_TIMEOUT
from .streaming import close_stream

if TYPE_CHECKING:
    from .server import ServeState

_log = logging.getLogger("apidouble.transport")

NOTE: Final = "h2"
"""The journal's note on an exchange served over HTTP/2."""

_BODY_FAULTS: Final = frozenset(("malformed_chunk", "random_data_then_close"))


class H2Protocol(asyncio.Protocol):
    """One HTTP/2 connection, from the client's preface to its end."""

    __slots__ = (
        "transport",
        "_state",
        "_handler",
        "_loop",
        "_conn",
        "_client",
        "_streams",
        "_max_body",
        "_write_paused",
        "_waiting",
        "_idle",
        "_lost",
        "_ending",
        "_last_taken",
        "on_lost",
    )

    def __init__(self, state: ServeState) -> None:
        self.transport: asyncio.Transport | None = None
        self._state = state
        self._handler = state.handler
        self._loop = state.loop
        limits = state.limits
        conn = server_connection(limits.max_header_bytes)
        self._conn = conn
        self._client: tuple[str, int] | None = None
        self._streams: dict[int, Stream] = {}
        self._max_body = limits.max_body_bytes
        self._write_paused = self._lost = self._ending = False
        self._waiting: dict[int, Stream] = {}
        """Streams with body bytes held back by a flow-control window or the socket."""
        self._idle: asyncio.TimerHandle | None = None
        self._last_taken: int | None = None
        """Once shutting down: the last stream served (the final GOAWAY names it)."""
        self.on_lost: Callable[[], None] | None = None
        """Called once the connection is gone (the TLS listener drops its peer entry)."""

    # --- asyncio callbacks -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._attach(transport)
        self._conn.initiate_connection()
        self._flush()
        self._arm_idle(self._state.limits.header_timeout_s)
        if self._state.closing:  # accepted (or its handshake ended) during shutdown
            self.shutdown()

    def upgraded(self, transport: asyncio.BaseTransport, settings: bytes, request: Request) -> None:
        """Start after ``101 Switching Protocols`` (``Upgrade: h2c``): ``settings`` is the
        request's ``HTTP2-Settings``, and ``request`` is served as stream 1."""
        self._attach(transport)
        self._conn.initiate_upgrade_connection(settings)
        self._flush()
        stream = self._streams[1] = Stream(1)
        stream.request = request
        self._dispatch(stream, request)
        self._flush()

    def _attach(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._client = (str(peer[0]), int(peer[1]))
        self._state.multiplexed.add(self)  # counted, and shut down gracefully

    def data_received(self, data: bytes) -> None:
        if self._lost:
            return
        try:
            events = self._conn.receive_data(data)
        except ProtocolError as exc:  # h2 queued the GOAWAY with its error code
            _log.debug("HTTP/2 protocol error from %s: %s", self._client, exc)
            if self._conn.state_machine.state != ConnectionState.CLOSED:
                self._conn.close_connection(exc.error_code)  # a bad preface: h2 queued none
            elif is_compression_error(exc):
                queued = compression_goaway(self._conn)
                if self.transport is not None and queued:
                    self.transport.write(queued)
            self._end()
            return
        try:
            for event in events:
                try:
                    self._on_event(event)
                except ProtocolError as exc:  # an answer the state machine refused
                    _log.debug("HTTP/2 stream error for %s: %s", self._client, exc)
        except Exception:  # a bug of ours: this connection ends, the server serves on
            _log.exception("serving HTTP/2 to %s failed", self._client)
            self._conn.close_connection(ErrorCodes.INTERNAL_ERROR)
            self._end()
            return
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self.transport = None
        if self._idle is not None:
            self._idle.cancel()
        for stream in tuple(self._streams.values()):
            self._drop(stream)
        self._streams.clear()
        self._waiting.clear()
        self._state.release(self)
        if self.on_lost is not None:
            self.on_lost()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._send_waiting()
        self._flush()

    # --- events ------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RequestReceived):
            self._opened(event.stream_id, event.headers, event.stream_ended is None)
        elif isinstance(event, DataReceived):
            self._body(event)
        elif isinstance(event, StreamEnded):
            stream = self._streams.get(event.stream_id)
            if stream is not None and stream.request is None:
                self._serve(stream)
        elif isinstance(event, WindowUpdated):
            if event.stream_id:
                waiting = self._waiting.get(event.stream_id)
                if waiting is not None:
                    self._send(waiting)
            else:
                self._send_waiting()
        elif isinstance(event, RemoteSettingsChanged):
            self._send_waiting()  # a larger initial window opens every stream's
        elif isinstance(event, StreamReset):
            stream = self._streams.pop(event.stream_id, None)
            if stream is not None:
                self._drop(stream)
                self._idle_check()
        elif isinstance(event, ConnectionTerminated):  # the client's GOAWAY
            self._conn.close_connection(ErrorCodes.NO_ERROR)  # ours too (RFC 9113 §6.8)
            self._end()
        elif isinstance(event, TrailersReceived):
            pass  # dropped, as HTTP/1.1 drops chunked trailers

    def _opened(self, stream_id: int, fields: Fields, body_follows: bool) -> None:
        if self._last_taken is not None and stream_id > self._last_taken:
            self._refuse(stream_id)  # opened once shutdown began: never served
            return
        stream = Stream(stream_id)
        self._streams[stream_id] = stream
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if not stream.take_head(fields):  # CONNECT (no :path) or an asterisk target
            stream.request = stream.to_request(self._client)
            self._answer(stream, BAD_REQUEST)
        elif body_follows:
            self._watch(stream, -1)

    def _watch(self, stream: Stream, seen: int) -> None:
        """A request whose body stops moving for ``header_timeout_s`` gets a 408, as on
        HTTP/1.1; one that keeps moving is watched on (``stream.timer`` until served)."""
        stream.timer = None
        if stream.closed or stream.request is not None or self._lost:
            return
        if stream.size == seen:
            stream.request = stream.to_request(self._client)
            self._answer(stream, REQUEST_TIMEOUT)
            self._reset(stream, ErrorCodes.NO_ERROR)  # "stop sending"
            self._flush()
            return
        wait = self._state.limits.header_timeout_s
        stream.timer = self._loop.call_later(wait, self._watch, stream, stream.size)

    def _body(self, event: DataReceived) -> None:
        stream_id = event.stream_id
        self._conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
        stream = self._streams.get(stream_id)
        if stream is None or stream.request is not None:
            return  # answered already (413): the rest is dropped
        if stream.feed(event.data) > self._max_body:
            stream.body = []
            stream.request = stream.to_request(self._client)
            self._answer(stream, BODY_TOO_LARGE)
            self._reset(stream, ErrorCodes.NO_ERROR)  # "stop sending"

    # --- serving -----------------------------------------------------------------------

    def _serve(self, stream: Stream) -> None:
        if stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None
        self._dispatch(stream, stream.to_request(self._client))

    def _dispatch(self, stream: Stream, request: Request) -> None:
        stream.started = self._loop.time()
        try:
            result = self._handler.handle(request)
        except Exception:
            _log.exception("handler failed on %s %s", request.method, request.path)
            result = INTERNAL_ERROR
        if isinstance(result, Respond | Fail | Forward | Upgrade):
            self._start(stream, result)
        else:
            stream.task = self._state.spawn(self._await_outcome(stream, result))

    async def _await_outcome(self, stream: Stream, pending: Awaitable[Outcome]) -> None:
        try:
            outcome = await pending
        except Exception:
            _log.exception("handler failed")
            outcome = INTERNAL_ERROR
        stream.task = None
        if not isinstance(outcome, Respond | Fail | Forward | Upgrade):
            _log.error("handler returned %r, not an Outcome", outcome)
            outcome = INTERNAL_ERROR
        self._start(stream, outcome)
        self._flush()

    def _start(self, stream: Stream, outcome: Outcome) -> None:
        """Carry ``outcome`` out now, or after its delay on a timer of this stream alone."""
        if outcome.delay_s > 0 and not stream.closed:
            stream.pending = outcome
            stream.timer = self._loop.call_later(outcome.delay_s, self._delayed, stream)
        else:
            self._carry_out(stream, outcome)

    def _delayed(self, stream: Stream) -> None:
        outcome = stream.pending
        stream.timer = stream.pending = None
        if outcome is not None:
            self._carry_out(stream, outcome)
            self._flush()

    def _carry_out(self, stream: Stream, outcome: Outcome) -> None:
        if isinstance(outcome, Respond):
            self._respond(stream, outcome)
        elif isinstance(outcome, Fail):
            self._fault(stream, outcome)
        elif isinstance(outcome, Forward):
            if stream.closed:
                self._report(stream, outcome)
            else:
                stream.task = self._state.spawn(self._relay(stream, outcome))
        else:  # an Upgrade: HTTP/2 has no Upgrade header, so only a handler bug asks
            _log.error("Upgrade answered to an HTTP/2 request")
            self._respond(stream, Respond(INTERNAL_ERROR.response, event=outcome.event))

    async def _relay(self, stream: Stream, outcome: Forward) -> None:
        respond = await relay(self._state.forwarder, outcome)
        stream.task = None
        self._respond(stream, respond)
        self._flush()

    def _report(self, stream: Stream, outcome: Outcome) -> None:
        """Tell the handler, once per stream, before the answer leaves."""
        if stream.reported:
            return
        stream.reported = True
        event = outcome.event
        if event is not None:
            event.notes = (*event.notes, NOTE)
        try:
            self._handler.served(outcome, self._loop.time() - stream.started)
        except Exception:
            _log.exception("served() hook failed")

    # --- answering -------------------------------------------------------------------

    def _respond(self, stream: Stream, outcome: Respond) -> None:
        self._report(stream, outcome)
        body_stream = outcome.stream
        if stream.closed or self._lost:
            if body_stream is not None:
                self._state.spawn(close_stream(body_stream))
            return
        response = outcome.response
        request = stream.request
        empty = bodyless(request.method if request is not None else "GET", response.status)
        if body_stream is not None:
            if empty:
                self._state.spawn(close_stream(body_stream))
            else:
                self._conn.send_headers(stream.id, response_fields(response))
                stream.task = self._state.spawn(self._pump(stream, body_stream))
                return
        if empty or not response.body:
            self._conn.send_headers(stream.id, response_fields(response), end_stream=True)
            self._forget(stream)
            return
        self._conn.send_headers(stream.id, response_fields(response))
        if outcome.pacing:
            self._pace(stream, response.body, outcome)
            return
        stream.queue(response.body)
        stream.ending = True
        self._send(stream)

    def _answer(self, stream: Stream, response: Response) -> None:
        """A refusal of the transport's own (400, 413): no handler, no journal entry."""
        self._state.refused[REFUSALS.get(response.status, str(response.status))] += 1
        stream.reported = True
        self._respond(stream, Respond(response))

    def _pace(self, stream: Stream, body: bytes, outcome: Respond) -> None:
        """The planned slices on this stream's timers (each step's delay follows the last)."""
        steps = outcome.pacing

        def write(index: int) -> None:
            stream.pacing = None
            if stream.closed or self._lost:
                return
            offset, size, _ = steps[index]
            stream.queue(body[offset : offset + size])
            if index + 1 < len(steps):
                stream.pacing = self._loop.call_later(steps[index + 1].delay_s, write, index + 1)
            else:
                stream.ending = True
            self._send(stream)
            self._flush()

        if steps[0].delay_s > 0:
            stream.pacing = self._loop.call_later(steps[0].delay_s, write, 0)
        else:
            write(0)

    async def _pump(self, stream: Stream, body: AsyncIterator[bytes]) -> None:
        """A streamed body (SSE): each chunk as a DATA frame, pulled only once the last
        one left, so a client that reads slowly holds the producer, not our memory."""
        try:
            async for chunk in body:
                if stream.closed or self._lost:
                    return
                stream.queue(chunk)
                self._send(stream)
                self._flush()
                if stream.outbox:
                    stream.drained = self._loop.create_future()
                    await stream.drained
                    stream.drained = None
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("response stream failed")
            if not stream.closed and not self._lost:
                self._reset(stream, ErrorCodes.INTERNAL_ERROR)
                self._flush()
            return
        finally:
            await close_stream(body)
        stream.task = None
        if not stream.closed and not self._lost:
            stream.ending = True
            self._send(stream)
            self._flush()

    def _send(self, stream: Stream) -> None:
        """Send what the stream holds as far as the windows allow; the rest waits for a
        ``WINDOW_UPDATE`` (or the socket to drain)."""
        if stream.closed or self._lost:
            return
        conn = self._conn
        ended = False
        while stream.outbox and not self._write_paused:
            window = min(conn.local_flow_control_window(stream.id), conn.max_outbound_frame_size)
            if window <= 0:
                break
            data = stream.take(window)
            ended = stream.ending and not stream.outbox
            conn.send_data(stream.id, data, end_stream=ended)
            if len(data) >= 16384:
                self._flush()  # frame by frame: never a whole body in h2's buffer
        if stream.outbox:
            self._waiting[stream.id] = stream
            return
        self._waiting.pop(stream.id, None)
        drained = stream.drained
        if drained is not None and not drained.done():
            drained.set_result(None)
        if stream.ending:
            if not ended:
                conn.end_stream(stream.id)
            self._forget(stream)

    def _send_waiting(self) -> None:
        for stream in tuple(self._waiting.values()):
            self._send(stream)

    # --- faults, resets and the end ---------------------------------------------------

    def _fault(self, stream: Stream, outcome: Fail) -> None:
        self._report(stream, outcome)
        if stream.closed or self._lost:
            return
        plan = outcome.plan
        if plan.name in _BODY_FAULTS:
            self._conn.close_connection(ErrorCodes.PROTOCOL_ERROR)
            self._end()
        elif plan.reset:
            self._reset(stream, ErrorCodes.INTERNAL_ERROR)
        elif plan.hold_s > 0:
            stream.timer = self._loop.call_later(plan.hold_s, self._cancel_held, stream)
        else:
            self._reset(stream, ErrorCodes.NO_ERROR)

    def _cancel_held(self, stream: Stream) -> None:
        stream.timer = None
        if not stream.closed and not self._lost:
            self._reset(stream, ErrorCodes.CANCEL)
            self._flush()

    def _reset(self, stream: Stream, code: ErrorCodes) -> None:
        try:
            self._conn.reset_stream(stream.id, code)
        except ProtocolError:  # closed already on the state machine's side
            pass
        self._streams.pop(stream.id, None)
        self._drop(stream)
        self._idle_check()

    def _forget(self, stream: Stream) -> None:
        """The stream's answer is complete: it no longer counts as open."""
        self._streams.pop(stream.id, None)
        self._waiting.pop(stream.id, None)
        stream.closed = True
        self._idle_check()

    def _drop(self, stream: Stream) -> None:
        """The stream went before its answer: a pending outcome is still reported."""
        self._waiting.pop(stream.id, None)
        pending = stream.pending
        stream.pending = None
        stream.cancel()
        if pending is not None:
            self._carry_out(stream, pending)  # closed now: it only reports

    def _flush(self) -> None:
        data = self._conn.data_to_send()
        transport = self.transport
        if data and transport is not None and not self._lost:
            try:
                transport.write(data)
            except RuntimeError:  # uvloop: the peer reset and the handle closed just now
                pass

    def _end(self) -> None:
        """Send what h2 holds (a GOAWAY) and close."""
        self._ending = True
        self._flush()
        transport = self.transport
        if transport is not None:
            transport.close()

    def _idle_check(self) -> None:
        if self._streams or self._lost or self._ending:
            return
        if self._last_taken is not None:  # shutting down: the last stream is answered
            self._close_gracefully()
        else:
            self._arm_idle(self._state.limits.idle_timeout_s)

    def _arm_idle(self, wait_s: float) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self._loop.call_later(wait_s, self._idle_out)

    def _idle_out(self) -> None:
        """No stream for the idle timeout (or no request since the preface): GOAWAY."""
        self._idle = None
        if self._streams or self._lost:
            return
        self._conn.close_connection(ErrorCodes.NO_ERROR)
        self._end()

    # --- shutdown ----------------------------------------------------------------------

    def shutdown(self) -> None:
        """The server stops: no new stream; ``GOAWAY`` ``NO_ERROR`` and the close once
        the streams taken so far are answered (at once when there are none)."""
        if self._lost or self._ending or self._last_taken is not None:
            return
        self._last_taken = self._conn.highest_inbound_stream_id
        if not self._streams:
            self._close_gracefully()

    def abort(self) -> None:
        """The shutdown's grace is over: drop the connection, answered or not."""
        if self.transport is not None:
            self.transport.abort()

    def _refuse(self, stream_id: int) -> None:
        try:
            self._conn.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
        except ProtocolError:  # the client closed it already
            pass

    def _close_gracefully(self) -> None:
        self._conn.close_connection(ErrorCodes.NO_ERROR, last_stream_id=self._last_taken)
        self._end()


SWITCHING: Final = (
    b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n"
)
