"""HTTP/1.1 over one connection: bytes in, ``Request`` out; ``Outcome`` in, bytes out.

One ``HttpProtocol`` per connection, parsed by httptools (llhttp, strict mode). Requests
are served one at a time so responses leave in request order; pipelined requests wait
in a short queue and reading pauses when it fills. A synchronous handler answer is
written from inside the parser callback (no task, no timer): that is the fast path.
Timeouts are enforced by the server's sweeper (``check_timeouts``), so the hot path only
resets a deadline field instead of arming and cancelling a timer per request.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, NoReturn, cast

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser

from ..model import Request
from ..outcome import Fail, Outcome, Respond, Response
from .sabotage import carry_out_fault, send_paced

if TYPE_CHECKING:
    from .server import ServeState

_log = logging.getLogger("apidouble.transport")

_JSON: Final = (("content-type", "application/json"),)
BAD_REQUEST: Final = Response.build(400, _JSON, b'{"error":"malformed request"}')
REQUEST_TIMEOUT: Final = Response.build(408, _JSON, b'{"error":"request timeout"}')
BODY_TOO_LARGE: Final = Response.build(413, _JSON, b'{"error":"request body too large"}')
HEAD_TOO_LARGE: Final = Response.build(431, _JSON, b'{"error":"request header too large"}')
INTERNAL_ERROR: Final = Respond(Response.build(500, _JSON, b'{"error":"internal server error"}'))

_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_END_KEEP: Final = b"\r\n"
_END_CLOSE: Final = b"connection: close\r\n\r\n"
_END_KEEP_10: Final = b"connection: keep-alive\r\n\r\n"
_MAX_QUEUE: Final = 16
"""Parsed requests waiting behind the one being served before reading pauses."""
_LINGER_S: Final = 2.0
"""How long a half-closed connection may keep sending before it is aborted."""
_BIG_BODY: Final = 64 * 1024

_IDLE: Final = 0
_HEAD: Final = 1
_BODY: Final = 2

_METHODS: Final = {m.encode(): m for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")}
_ABSOLUTE: Final = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")

_Queued = tuple[Request, bool] | Response


class _Halt(Exception):
    """Raised from a parser callback to stop parsing; the reason is already recorded."""


def split_target(url: bytes) -> tuple[str, str]:
    """Raw path and query of a request target; absolute-form is reduced to its path."""
    if url[:1] != b"/":
        match = _ABSOLUTE.match(url)
        if match is not None:
            url = url[match.end() :]
            if url[:1] != b"/":
                url = b"/" + url
    if b"#" in url:
        url = url[: url.index(b"#")]
    path, _, query = url.partition(b"?")
    return path.decode("latin-1"), query.decode("latin-1")


class HttpProtocol(asyncio.Protocol):
    """One client connection. ``transport`` is public so an upgrade can take it over."""

    __slots__ = tuple(
        """transport _state _handler _loop _parser _client _max_body _max_head _url _headers
        _body _body_size _chunk_len _head_raw _chunk_done _pstate _cl _te _expect _keep _queue
        _busy _in_next _no_more _closing _lost _peer_eof _fresh _read_paused _write_paused
        _continue_pending _cur_keep _cur_bodyless _cur_v11 _started _delayed _delayed_outcome
        _deadline _seen_body _conn_hdr _version _cancel_pacing""".split()
    )

    def __init__(self, state: ServeState) -> None:
        self.transport: asyncio.Transport | None = None
        self._state = state
        self._handler = state.handler
        self._loop = state.loop
        self._parser = HttpRequestParser(self)
        self._client: tuple[str, int] | None = None
        self._max_body = state.limits.max_body_bytes
        self._max_head = state.limits.max_header_bytes
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] | None = None
        self._body_size = self._chunk_len = self._head_raw = self._seen_body = 0
        self._pstate = _IDLE
        self._cl = -1
        self._te: bytes | None = None
        self._queue: deque[_Queued] = deque()
        self._expect = self._busy = self._in_next = self._no_more = self._closing = False
        self._lost = self._peer_eof = self._read_paused = self._write_paused = False
        self._chunk_done = self._continue_pending = self._cur_bodyless = False
        self._keep = self._fresh = self._cur_keep = self._cur_v11 = True
        self._conn_hdr = False
        self._version = "1.1"
        self._started = 0.0
        self._delayed: asyncio.TimerHandle | None = None
        self._delayed_outcome: Outcome | None = None
        self._cancel_pacing: Callable[[], None] | None = None
        self._deadline = 0.0

    # --- asyncio callbacks ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop: no subclass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._client = (str(peer[0]), int(peer[1]))
        self._state.connections.add(self)
        if self._state.closing:
            self._no_more = self._closing = True
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = self._closing = self._no_more = True
        self._queue.clear()
        del self._parser  # the parser holds our bound methods: break the cycle for refcounting
        self._state.forget(self)
        if self._cancel_pacing is not None:
            self._cancel_pacing()
        if self._delayed is not None and self._delayed_outcome is not None:
            self._delayed.cancel()
            self._delayed = None
            self._report(self._delayed_outcome)

    def eof_received(self) -> bool:
        """Keep the write side open while a response is still owed (half-close)."""
        self._peer_eof = True
        return self._busy and not self._closing

    def pause_writing(self) -> None:
        self._write_paused = True
        self._flow()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._flow()

    def data_received(self, data: bytes) -> None:
        if self._no_more:
            return
        size = len(data)
        if self._pstate == _HEAD:
            self._head_raw += size
        self._chunk_len = size
        self._chunk_done = False
        try:
            self._parser.feed_data(data)
        except HttpParserUpgrade:
            return  # served as plain HTTP and closed after (see on_headers_complete)
        except HttpParserError:
            if not self._no_more:
                self._reject(BAD_REQUEST)
            return
        if self._pstate == _HEAD and self._head_raw > self._max_head:
            if self._chunk_done:  # else exact: only CRLFs can precede this head
                self._head_raw = self._counted_head()
            if self._head_raw > self._max_head:
                self._reject(HEAD_TOO_LARGE)

    def _counted_head(self) -> int:
        """Head bytes seen by the callbacks: the slow path, taken only when the cheap
        per-chunk upper bound (``_head_raw``) is over the limit. It misses the header being
        received, so after a pipelined message in the same chunk, detection of an
        unfinished head may lag by one read."""
        return len(self._url) + sum(len(n) + len(v) + 4 for n, v in self._headers)

    # --- parser callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = None
        self._body_size = 0
        self._head_raw = self._chunk_len  # upper bound: the whole chunk
        self._cl = -1
        self._te = None
        self._expect = self._conn_hdr = False
        self._pstate = _HEAD
        self._deadline = 0.0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._pstate != _HEAD:  # chunked trailers: dropped, but they count as body
            self._body_size += len(name) + len(value)
            if self._body_size > self._max_body:
                self._halt(BODY_TOO_LARGE)
            return
        # kept as received: ``Request.headers`` decodes (and drops trailing OWS) on first use
        self._headers.append((name, value))
        size = len(name)
        if size == 14 or size == 17 or size == 6:
            self._framing_header(name.lower(), value)
        elif size == 10 and name[0] | 32 == 99:  # "connection" (or a harmless look-alike)
            self._conn_hdr = True

    def _framing_header(self, name: bytes, value: bytes) -> None:
        """Re-check what decides message length, so a lenient parser can't desync us."""
        if name == b"content-length":
            digits = value.strip(b" \t")
            if self._cl >= 0 or not digits.isdigit():
                self._halt(BAD_REQUEST)
            self._cl = int(digits)
        elif name == b"transfer-encoding":
            self._te = value if self._te is None else self._te + b"," + value
        elif name == b"expect":
            self._expect = value.strip(b" \t").lower() == b"100-continue"

    def on_headers_complete(self) -> None:
        self._pstate = _BODY
        self._deadline = 0.0
        self._seen_body = 0
        if self._head_raw > self._max_head and self._counted_head() > self._max_head:
            self._halt(HEAD_TOO_LARGE)
        if self._te is not None:
            codings = [c.strip(b" \t").lower() for c in self._te.split(b",")]
            if self._cl >= 0 or codings[-1] != b"chunked" or codings.count(b"chunked") != 1:
                self._halt(BAD_REQUEST)
        if self._cl > self._max_body:
            self._halt(BODY_TOO_LARGE)
        parser = self._parser
        keep = parser.should_keep_alive()
        # get_http_version() formats a string (~0.6 us). llhttp only accepts 0.9, 1.0, 1.1
        # and 2.0, and only 1.1 keeps alive without a Connection header: skip the call then.
        self._version = "1.1" if keep and not self._conn_hdr else parser.get_http_version()
        self._keep = keep and not parser.should_upgrade()
        if self._expect and (self._cl > 0 or self._te is not None) and self._version == "1.1":
            if self._busy:
                self._continue_pending = True
            elif self.transport is not None:
                self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        size = self._body_size + len(body)
        if size > self._max_body:
            self._halt(BODY_TOO_LARGE)
        self._body_size = size
        if self._body is None:
            self._body = [body]
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        self._pstate = _IDLE
        self._chunk_done = True
        self._continue_pending = False
        parser = self._parser
        method = parser.get_method()
        url = self._url
        if url[:1] == b"/" and b"#" not in url:  # origin-form: the common case, inlined
            mark = url.find(b"?")
            if mark < 0:
                path, query = url.decode("latin-1"), ""
            else:
                path, query = url[:mark].decode("latin-1"), url[mark + 1 :].decode("latin-1")
        else:
            path, query = split_target(url)
        body = self._body
        request = Request(
            _METHODS.get(method) or method.decode("latin-1"),
            path,
            query,
            (),
            (body[0] if len(body) == 1 else b"".join(body)) if body is not None else b"",
            self._client,
            self._version,
            self._headers,
        )
        keep = self._keep
        if not keep:
            self._no_more = True
        if self._busy:
            self._queue.append((request, keep))
            if len(self._queue) >= _MAX_QUEUE:
                self._flow()
        else:
            self._dispatch(request, keep)
        if not keep:
            raise _Halt  # whatever follows a last request is never parsed

    # --- serving ---------------------------------------------------------------------

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
        if not isinstance(result, Respond | Fail):
            self._state.spawn(self._await_outcome(result))
        elif result.delay_s > 0:
            self._wait(result)
        else:
            self._write(result)

    async def _await_outcome(self, pending: Awaitable[Outcome]) -> None:
        try:
            outcome = await pending
        except Exception:
            _log.exception("handler failed")
            outcome = INTERNAL_ERROR
        if not isinstance(outcome, Respond | Fail):
            _log.error("handler returned %r, not an Outcome", outcome)
            outcome = INTERNAL_ERROR
        if outcome.delay_s > 0:
            self._wait(outcome)
        else:
            self._write(outcome)

    def _wait(self, outcome: Outcome) -> None:
        """A non-blocking delay: a timer, not a task (cancelled if the client leaves)."""
        if self._lost:
            self._write(outcome)
        else:
            self._delayed_outcome = outcome
            self._delayed = self._loop.call_later(outcome.delay_s, self._write, outcome)

    def _write(self, outcome: Outcome) -> None:
        """Send one response, tell the handler, then serve the next queued request."""
        self._delayed = self._delayed_outcome = None
        transport = self.transport
        if self._lost or transport is None:
            self._report(outcome)
            return
        response = outcome.response
        keep = self._cur_keep and not self._peer_eof and not self._state.closing
        end = (_END_KEEP if self._cur_v11 else _END_KEEP_10) if keep else _END_CLOSE
        status = response.status
        # Report first: a client in another thread may read the journal the moment the
        # bytes arrive, so the exchange must be recorded before they leave.
        self._report(outcome)
        if isinstance(outcome, Fail):
            self._sabotage(outcome)
            return
        bodyless = self._cur_bodyless or status == 204 or status == 304 or status < 200
        try:
            if bodyless:
                transport.write(response.head + end)
            elif outcome.pacing:
                self._cancel_pacing = send_paced(
                    transport,
                    self._loop,
                    response.head + end,
                    response.body,
                    outcome.pacing,
                    lambda: self._after_write(keep),
                )
                return
            elif len(response.body) < _BIG_BODY:
                transport.write(b"".join((response.head, end, response.body)))
            else:
                transport.writelines((response.head + end, response.body))
        except RuntimeError:  # uvloop: the peer reset and the handle closed just now
            return
        self._after_write(keep)

    def _sabotage(self, outcome: Fail) -> None:
        """Carry out a fault instead of answering; the connection serves nothing more.

        It stays "busy" (not closing), so client timeouts leave a held connection alone.
        """
        transport = self.transport
        if transport is None:
            return
        self._no_more = True
        self._queue.clear()
        transport.pause_reading()
        try:
            self._delayed = carry_out_fault(outcome.plan, transport, self._loop)
        except RuntimeError:  # the peer went away first
            pass

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

    def _next(self) -> None:
        """Serve queued requests in order until one goes asynchronous, then wait on the client."""
        self._in_next = True
        queue = self._queue
        try:
            while queue and not self._busy and not self._closing:
                item = queue.popleft()
                if isinstance(item, Response):
                    self._write_final(item)
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
            self.transport.write(_CONTINUE)
        self._flow()

    def _flow(self) -> None:
        """Pause reading while the client won't read or too many requests wait."""
        transport = self.transport
        if transport is None or self._closing:
            return
        pause = self._write_paused or len(self._queue) >= _MAX_QUEUE
        if pause != self._read_paused:
            self._read_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    # --- errors and closing -----------------------------------------------------------

    def _halt(self, response: Response) -> NoReturn:
        """Refuse from inside a parser callback: answer, then stop the parser."""
        self._reject(response)
        raise _Halt

    def _reject(self, response: Response) -> None:
        """Answer a request we refuse, after any responses still owed, then close."""
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
        transport.write(b"".join((response.head, _END_CLOSE, response.body)))
        self._close_after_write()

    def _close_after_write(self) -> None:
        """Half-close and linger, so unread request bytes can't reset away our response."""
        self._closing = self._no_more = True
        self._busy = False
        self._queue.clear()
        self._deadline = 0.0
        transport = self.transport
        if transport is None:
            return
        if self._read_paused:
            self._read_paused = False
            transport.resume_reading()
        if self._peer_eof or self._state.closing or not transport.can_write_eof():
            transport.close()
        else:
            transport.write_eof()

    def shutdown(self) -> None:
        """Server is stopping: close now unless a response is in flight."""
        if not self._busy and self.transport is not None:
            self._closing = self._no_more = True
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def check_timeouts(self, now: float) -> None:
        """Called by the sweeper; a zero deadline means "start the clock now"."""
        if self._busy and not self._closing:
            return
        if self._deadline == 0.0:
            limits = self._state.limits
            if self._closing:
                wait = min(_LINGER_S, limits.header_timeout_s)
            elif self._pstate == _IDLE and not self._fresh:
                wait = limits.idle_timeout_s
            else:
                wait = limits.header_timeout_s
            self._deadline = now + wait
            return
        if self._pstate == _BODY and self._body_size != self._seen_body and not self._closing:
            self._seen_body = self._body_size  # the body is still moving: a stall resets
            self._deadline = now + self._state.limits.header_timeout_s
            return
        if now < self._deadline or self.transport is None:
            return
        if self._closing:
            self.transport.abort()
        elif self._pstate == _IDLE and not self._fresh:
            self._closing = self._no_more = True
            self.transport.close()
        else:
            self._reject(REQUEST_TIMEOUT)
