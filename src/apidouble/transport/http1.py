"""HTTP/1.1 over one connection: bytes in, ``Request`` out; ``connection.py`` serves them.

One ``HttpProtocol`` per connection, parsed by httptools (llhttp, strict mode). Requests
are served one at a time so responses leave in request order; pipelined requests wait
in a short queue and reading pauses when it fills. A synchronous handler answer is
written from inside the parser callback (no task, no timer): that is the fast path.
Timeouts are enforced by the server's sweeper (``check_timeouts``), so the hot path only
resets a deadline field instead of arming and cancelling a timer per request.

Persistence follows RFC 9112 §9.3: "close" in any Connection header ends the connection
after this response; otherwise HTTP/1.1 persists and HTTP/1.0 persists only with
"keep-alive". A 1.0 request with Transfer-Encoding is served, then closed (§6.1). An
upgrade request stops the parsing: what follows its head belongs to the next protocol.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, NoReturn, cast

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser

from ..express import pick, pick_by_head
from ..model import Request
from ..outcome import Forward, Respond, Response, Upgrade
from .connection import MAX_QUEUE, Connection, UpgradeRequest
from .heads import END_OF_HEAD, V11_LINE_END, HeadOnly
from .replies import (
    BAD_REQUEST,
    BODY_TOO_LARGE,
    CONTINUE,
    END_CLOSE,
    HEAD_TOO_LARGE,
    INTERNAL_ERROR,
    REQUEST_TIMEOUT,
    TOO_MANY_CONNECTIONS,
)
from .upload import Upload

if TYPE_CHECKING:
    from ..express import ExpressLane, ExpressRoute
    from .server import ServeState

_log = logging.getLogger("apidouble.transport")

_LINGER_S: Final = 2.0
"""How long a half-closed connection may keep sending before it is aborted."""

_IDLE: Final = 0
_HEAD: Final = 1
_BODY: Final = 2

_METHODS: Final = {m.encode(): m for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")}
_ABSOLUTE: Final = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")


class _Halt(Exception):
    """Raised from a parser callback to stop parsing; the reason is already recorded."""


def split_target(url: bytes) -> tuple[str, str]:
    """Raw path and query of a request target; absolute-form is reduced to its path."""
    if url[:1] == b"/" and b"#" not in url:  # origin-form: the common case, first
        mark = url.find(b"?")
        if mark < 0:
            return url.decode("latin-1"), ""
        return url[:mark].decode("latin-1"), url[mark + 1 :].decode("latin-1")
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


def asks_to_close(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """Whether any Connection header lists the "close" option (case-insensitive)."""
    for name, value in headers:
        if len(name) == 10 and name.lower() == b"connection":
            if any(token.strip(b" \t").lower() == b"close" for token in value.split(b",")):
                return True
    return False


class HttpProtocol(Connection):
    """One client connection. ``transport`` is public so an upgrade can take it over."""

    __slots__ = tuple(
        """_parser _client _max_body _max_head _url _headers _body _chunk_len _head_raw _chunk_done
        _pstate _cl _te _expect _keep _conn_hdr _version _upgrading _whole _express _big
        _forward_head""".split()
    )

    def __init__(self, state: ServeState) -> None:
        Connection.__init__(self, state)
        self._parser = HttpRequestParser(self)
        self._client: tuple[str, int] | None = None
        self._max_body = state.limits.max_body_bytes
        self._max_head = state.limits.max_header_bytes
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] | None = None
        self._chunk_len = self._head_raw = 0
        self._pstate = _IDLE
        self._cl = -1
        self._te: bytes | None = None
        self._expect = self._chunk_done = self._conn_hdr = False
        self._keep = True
        self._version = "1.1"
        self._upgrading: Request | None = None
        self._whole: HeadOnly | None = HeadOnly()
        """Takes reads that hold one whole bodyless request (``heads.py``); dropped for
        good once it refuses one it could not leave in a clean state."""
        self._express = state.express
        """The handler's static answers by request line (``apidouble.express``), if any."""
        handler = state.handler
        self._forward_head: Callable[[Request], Forward | None] | None = getattr(
            getattr(handler, "engine", handler), "forward_head", None
        )
        """The engine's head-time decision that a request is forwarded (see ``upload``)."""
        self._big = self._max_body
        """Bodies declared larger than this get a second look (streamed, or a 413)."""
        if self._forward_head is not None:
            self._big = min(self._max_body, state.limits.stream_body_bytes)

    # --- asyncio callbacks ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop: no subclass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._client = (str(peer[0]), int(peer[1]))
        if self._state.full():
            self._refuse_connection(transport)
            return
        self._state.connections.add(self)
        if self._state.closing:
            self._no_more = self._closing = True
            transport.close()

    def _refuse_connection(self, transport: asyncio.Transport) -> None:
        """The listener is full: a 503 before anything is read, and the close."""
        self._no_more = self._closing = True
        self._state.refused["connections"] += 1
        reply = TOO_MANY_CONNECTIONS
        transport.write(b"".join((reply.head, END_CLOSE, reply.body)))
        transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = self._closing = self._no_more = True
        upload = self._upload
        if upload is not None:  # the upstream request is abandoned with it
            self._upload = None
            upload.abort("the client went away before the end of its body")
        self._queue.clear()
        del self._parser  # the parser holds our bound methods: break the cycle for refcounting
        self._drop_whole()
        self._state.forget(self)
        if self._cancel_pacing is not None:
            self._cancel_pacing()
        if self._pump is not None:
            self._pump.cancel()  # the stream is closed by its task
        if self._delayed is not None and self._delayed_outcome is not None:
            self._delayed.cancel()
            self._carry_out(self._delayed_outcome)  # now lost: it reports, closes a stream

    def eof_received(self) -> bool:
        """Keep the write side open while a response is still owed (half-close)."""
        self._peer_eof = True
        upload = self._upload
        if upload is not None:
            self._upload = None
            upload.abort("the client closed before the end of its body")
        return self._busy and not self._closing

    def data_received(self, data: bytes) -> None:
        if self._no_more:
            return
        size = len(data)
        whole = self._whole
        if (
            whole is not None
            and self._pstate == _IDLE
            and data[-4:] == END_OF_HEAD
            and size <= self._max_head
        ):
            url = whole.feed(data)
            if url is None:
                self._drop_whole()  # its state is unknown now: the full parser goes on
            elif self._serve_whole(whole, data, url):
                return
        if self._pstate == _HEAD:
            self._head_raw += size
        self._chunk_len = size
        self._chunk_done = False
        try:
            self._parser.feed_data(data)
        except HttpParserUpgrade as upgrade:
            self._upgrade_requested(data[upgrade.args[0] :])
            return
        except HttpParserError:
            if self._fresh and data[:4] == b"PRI " and self._state.http2:
                self._to_http2(data)  # llhttp stops at the h2c preface: free to look here
            elif not self._no_more:
                self._refuse(BAD_REQUEST)
            return
        if self._pstate == _HEAD and self._head_raw > self._max_head:
            if self._chunk_done:  # else exact: only CRLFs can precede this head
                self._head_raw = self._counted_head()
            if self._head_raw > self._max_head:
                self._refuse(HEAD_TOO_LARGE)

    def _serve_whole(self, whole: HeadOnly, data: bytes, url: bytes) -> bool:
        """Serve the bodyless request ``whole`` took from ``data`` (the head as received);
        False leaves it to the full parser (anything but a plain HTTP/1.1 request line)."""
        method: bytes = whole.parser.get_method()
        start = len(method) + len(url) + 2
        if data[start : start + 10] != V11_LINE_END:
            return False
        keep = whole.keep
        self._deadline = 0.0
        express = self._express
        if express is not None and keep and not self._busy:
            routes = express.routes.get(method)
            if routes is not None:
                route = routes.get(url)
                if route is not None:
                    gate = route.head_gate  # a protected route's: None for the rest
                    if (gate is None or gate(data)) and self._serve_express(express, route, data):
                        return True
            mark = url.find(b"?")
            by_head = (express.head_guards if mark < 0 else express.head_query_guards).get(method)
            if by_head is not None and b"#" not in url:
                candidates = by_head.get(url if mark < 0 else url[:mark])
                if candidates is not None:
                    query = "" if mark < 0 else url[mark + 1 :].decode("latin-1")
                    route = pick_by_head(candidates, data, query)
                    if route is not None and self._serve_express(express, route, data, query):
                        return True
        path, query = split_target(url)
        request = Request(
            _METHODS.get(method) or method.decode("latin-1"),
            path,
            query,
            (),
            b"",
            self._client,
            "1.1",
            None,
            data,
            True,  # ``whole`` parsed it strictly
        )
        if express is not None and keep and not self._busy:
            guarded = (express.query_guards if query else express.guards).get(method)
            if guarded is not None:
                guards = guarded.get(path)
                if guards is not None:
                    route = pick(guards, request)
                    if route is not None and self._serve_express(express, route, data, query):
                        return True
        if not keep:
            self._no_more = True
        self._take(request, keep)
        return True

    def _take(self, request: Request, keep: bool) -> None:
        """Serve ``request`` now, or queue it behind the one being served (reading pauses
        when the queue fills)."""
        if self._busy:
            self._queue.append((request, keep))
            if len(self._queue) >= MAX_QUEUE:
                self._flow()
        else:
            self._dispatch(request, keep)

    def _serve_express(
        self, express: ExpressLane, route: ExpressRoute, head: bytes, query: str = ""
    ) -> bool:
        """Answer from the express lane what ``_dispatch`` and ``_write`` would have
        answered with the same bytes; False leaves the request to them (a connection
        that is ending or holding back, where the general path decides)."""
        transport = self.transport
        if (
            transport is None
            or self._lost
            or self._peer_eof
            or self._state.closing
            or self._read_paused
            or self._continue_pending
        ):
            return False
        self._fresh = False
        clock = self._loop.time
        started = clock()
        try:  # journaled before the bytes leave, as ``_write`` does
            express.served(route, head, self._client, clock() - started, query)
        except Exception:
            _log.exception("served() hook failed")
        if self._outgoing is None:  # nothing held before it: the bytes leave now
            try:
                transport.write(route.wire)
            except RuntimeError:  # uvloop: the peer reset and the handle closed just now
                return True
        else:
            self.send(route.wire)
        self._seen_body = self._body_size
        return True

    def _to_http2(self, data: bytes) -> None:
        """An h2c client with prior knowledge (RFC 9113 §3.3): its first read began with
        the preface, which llhttp refuses; HTTP/2 takes the connection with that read."""
        from .http2_h2c import take_over  # h2: imported by the first h2c connection only

        transport = self.transport
        if transport is None:
            return
        self._lost = self._closing = self._no_more = True
        self.transport = None
        del self._parser  # the parser holds our bound methods: break the cycle
        self._drop_whole()
        self._state.forget(self)
        take_over(transport, data, self._state)

    def _drop_whole(self) -> None:
        whole = self._whole
        if whole is not None:
            self._whole = None
            whole.close()

    def _counted_head(self) -> int:
        """Head bytes seen by the callbacks: the slow path, taken only when the cheap
        per-chunk upper bound (``_head_raw``) is over the limit. It misses the header being
        received, so after a pipelined message in the same chunk, detection of an
        unfinished head may lag by one read."""
        return len(self._url) + sum(len(n) + len(v) + 4 for n, v in self._headers)

    def _upgrade_requested(self, leftover: bytes) -> None:
        """llhttp stopped after an upgrade request's head (it never reads such a body):
        serve it in its turn with ``leftover``, and read nothing until it is answered.
        HTTP/1.0 can't upgrade (RFC 9110 §7.8): that request is served as a last one."""
        request = self._upgrading
        if request is None:
            return
        self._upgrading = None
        if request.http_version != "1.1":
            if self._busy:
                self._queue.append((request, False))
            else:
                self._dispatch(request, False)
            return
        item = UpgradeRequest(request, leftover)
        if self._busy:
            self._queue.append(item)
        else:
            self._dispatch_upgrade(item)
        self._hold_for_upgrade()

    def _take_over(self, outcome: Upgrade) -> None:
        """Stop speaking HTTP/1.1: the upgrade handler's protocol gets the connection."""
        self._delayed = self._delayed_outcome = None
        leftover = self._leftover
        transport = self.transport
        if leftover is None:  # the request never asked to upgrade: a handler bug
            _log.error("Upgrade answered to a request without an Upgrade header")
            self._write(Respond(INTERNAL_ERROR.response, event=outcome.event))
            return
        self._report(outcome)
        if self._lost or transport is None:
            return
        self._leftover = None
        self.release()
        try:
            protocol = outcome.handler.take_over(transport, outcome.request, leftover)
        except Exception:
            _log.exception("upgrade handler failed on %s", outcome.request.path)
            transport.abort()
            return
        transport.set_protocol(protocol)
        self._lost = self._closing = self._no_more = True  # nothing of ours runs again
        self.transport = None
        self._queue.clear()
        del self._parser  # the parser holds our bound methods: break the cycle
        self._drop_whole()
        self._state.hand_over(self, transport)
        if self._held or self._read_paused:
            transport.resume_reading()

    def _hold_for_upgrade(self) -> None:
        """Read nothing more until the upgrade request is answered: what follows is the
        new protocol's, and stays in the kernel until its protocol takes over."""
        transport = self.transport
        if transport is not None and not self._closing and not self._lost and not self._held:
            self._held = True
            transport.pause_reading()

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
        parser = self._parser
        keep = parser.should_keep_alive()
        # get_http_version() formats a string (~0.6 us). llhttp only accepts 0.9, 1.0, 1.1
        # and 2.0, and only 1.1 keeps alive without a Connection header: skip the call then.
        if keep and not self._conn_hdr:
            self._version = "1.1"
        else:
            self._version = version = parser.get_http_version()
            if keep and version != "1.1":  # llhttp lets 1.0 "keep-alive" beat "close" and TE
                keep = self._te is None and not asks_to_close(self._headers)
        self._keep = keep and not parser.should_upgrade()
        if self._te is not None or self._cl > self._big:  # a bodyless GET stops here
            if self._large_body():
                return
        if self._expect and (self._cl > 0 or self._te is not None) and self._version == "1.1":
            if self._busy:
                self._continue_pending = True
            elif self.transport is not None:
                self.release()
                self.transport.write(CONTINUE)

    def _large_body(self) -> bool:
        """A chunked body, or one declared larger than ``_big``: checked, then streamed
        to the upstream when the head decides a forward (True), else read whole as any
        body is, under ``max_body_bytes``."""
        if self._te is not None:
            codings = [c.strip(b" \t").lower() for c in self._te.split(b",")]
            if self._cl >= 0 or codings[-1] != b"chunked" or codings.count(b"chunked") != 1:
                self._halt(BAD_REQUEST)
        if self._forward_head is not None and not self._busy and self._stream_body():
            return True
        if self._cl > self._max_body:
            self._halt(BODY_TOO_LARGE)
        return False

    def _stream_body(self) -> bool:
        """Serve the request now, from its head, if the engine says it is forwarded: the
        body then goes to the upstream as it comes (``Upload``), never whole in memory."""
        decide = self._forward_head
        parser = self._parser
        if decide is None or parser.should_upgrade():
            return False
        method = parser.get_method()
        path, query = split_target(self._url)
        request = Request(
            _METHODS.get(method) or method.decode("latin-1"),
            path,
            query,
            (),
            b"",  # never kept: the journal notes its size
            self._client,
            self._version,
            self._headers,
        )
        try:
            outcome = decide(request)
        except Exception:
            _log.exception("deciding from the head failed on %s %s", request.method, path)
            return False
        if outcome is None:
            return False
        expect = self._expect and self._version == "1.1"
        upload = Upload(
            self._cl, self._loop, self._set_upload_paused, self._send_continue if expect else None
        )
        self._upload = self._relaying = upload
        self._busy = True
        self._fresh = False
        self._cur_keep = self._keep
        self._cur_bodyless = False
        self._cur_v11 = self._version == "1.1"
        self._started = self._loop.time()
        self._start(outcome)
        return True

    def _send_continue(self) -> None:
        """``100 Continue`` once the upstream is ready for the body, unless the client
        did not wait for it."""
        upload = self._upload
        transport = self.transport
        if upload is not None and not upload.received and transport is not None:
            if not self._closing and not self._lost:
                self.release()
                transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        upload = self._upload
        if upload is not None:
            upload.feed(body)
            return
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
        upload = self._upload
        if upload is not None:  # its request is being served already
            self._upload = None
            upload.finish()
            if not self._keep:
                self._no_more = True
                raise _Halt
            return
        parser = self._parser
        method = parser.get_method()
        path, query = split_target(self._url)
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
            if self._parser.should_upgrade():
                self._upgrading = request
                return  # llhttp pauses next: data_received learns what followed the head
        self._take(request, keep)
        if not keep:
            raise _Halt  # whatever follows a last request is never parsed

    # --- errors and timeouts ------------------------------------------------------------

    def _halt(self, response: Response) -> NoReturn:
        """Refuse from inside a parser callback: answer, then stop the parser."""
        self._refuse(response)
        raise _Halt

    def _refuse(self, response: Response) -> None:
        """``_reject``, as the request's method allows: once llhttp has read this request's
        method (its URL has begun), a HEAD gets the refusal's head alone (RFC 9110 §9.3.2)."""
        if self._url and self._parser.get_method() == b"HEAD":
            response = Response(response.status, response.head, b"")
        self._reject(response)

    def check_timeouts(self, now: float) -> None:
        """Called by the sweeper; a zero deadline means "start the clock now"."""
        if self._busy and not self._closing:
            upload = self._upload
            if upload is not None:
                self._check_upload(now, upload)
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
            self.release()
            self.transport.close()
        else:
            self._refuse(REQUEST_TIMEOUT)

    def _check_upload(self, now: float, upload: Upload) -> None:
        """A streamed body that makes no progress for ``header_timeout_s`` is a stall (408),
        unless we are the ones holding it (the upstream is slower, or not ready yet). What
        the client sends after is never parsed: this answer ends the connection."""
        held = upload.paused or not upload.pulled
        if held or upload.received != self._seen_body or self._deadline == 0.0:
            self._seen_body = upload.received
            self._deadline = now + self._state.limits.header_timeout_s
        elif now >= self._deadline and not upload.ended:
            self._no_more = True
            upload.abort("the request body stalled", 408)
