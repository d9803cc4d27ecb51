"""Serve time for one WebSocket connection: websockets' sans-I/O protocol on our transport.

``Session`` is the ``asyncio.Protocol`` an upgraded connection's bytes go to. It feeds
them to a ``websockets`` ``ServerProtocol`` (framing, masking, permessage-deflate, ping
answers, the close handshake, the message size cap), assembles messages, asks the route
what to do (``WebSocketRoute.react``) and writes what the protocol has to send.

Decided here:

- the handshake is our parsed ``Request`` given to ``ServerProtocol.accept``; the
  protocol starts ``OPEN`` because the transport already read the head (its own
  ``send_response`` needs the ``CONNECTING`` parser, which would read the head again),
  so the accepted or refused answer websockets built is serialized and written here;
- each data frame is handled as soon as websockets parses it (``_Protocol``), so the
  replies to the messages before a bad frame leave before the close that fails the
  connection: RFC 6455 §7.1.7 fails it from the bad frame on, not before;
- a close between the fragments of a message ends the connection cleanly, echoing its
  code (§5.4: control frames may come mid-message); websockets alone fails it with 1002;
- ``max_message_bytes`` caps a message's data frames only (``_Protocol``): a ping
  between the fragments of a message near the cap is answered, not refused with 1009;
- a text message must be valid UTF-8, checked frame by frame, so a bad fragment fails
  the connection at once (1007), as RFC 6455 §8.1 asks;
- every timer is a ``loop.call_later`` handle held in ``_timers``; closing cancels them
  all, so a client that vanishes leaves nothing scheduled;
- while the transport's buffer is over its high mark the session stops reading (its own
  replies stay bounded), drops pushes from elsewhere (``every``, broadcasts, ``Hub.send``;
  counted in ``dropped``) and holds the ``sequence`` until the buffer drains;
- ``idle_timeout_s`` counts the time since the client last sent anything; it closes with
  1001 (going away: RFC 6455 §7.4.1, the server is leaving this connection);
- a reply template that fails to render closes with 1011 (internal error);
- the stub's ``websocket_message`` hooks (``addons.message``) see each message before
  the rules; while an async one runs, reading stops and the messages already parsed
  wait their turn, so every message meets the hooks and rules in the order it came;
  a hook that raises closes with 1011 too.
"""

from __future__ import annotations

import asyncio
import codecs
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from websockets.datastructures import Headers
from websockets.exceptions import PayloadTooBig
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import BINARY, CLOSE, CONT, TEXT, Frame
from websockets.http11 import Request as HandshakeRequest
from websockets.protocol import OPEN
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from ..errors import TemplateRenderError
from ..model import Request
from .ws_rules import Frame as Message
from .ws_rules import Messages, Reaction, WebSocketRoute

if TYPE_CHECKING:
    from ..addons.hooks import Hook
    from ..addons.message import WebSocketMessage
    from ..model import Stub
    from ..state.scenarios import Scenarios
    from .websocket import Hub

Observer = Callable[[str, dict[str, Any], str | bytes | None], None]
"""``on_event(kind, session_info, data)`` for ``open``, ``in``, ``out`` and ``close``."""

CLOSE_TIMEOUT_S = 5.0
"""How long a closing connection may take to finish the close handshake before it is
aborted (a client that stops reading cannot hold a connection forever)."""

_log = logging.getLogger("apidouble.realtime")
_DEFLATE = ServerPerMessageDeflateFactory(
    server_max_window_bits=12, client_max_window_bits=12, compress_settings={"memLevel": 5}
)
"""websockets' own server defaults: memory per connection matters with many idle ones."""
_UTF8 = codecs.getincrementaldecoder("utf-8")


class _Protocol(ServerProtocol):
    """websockets' server protocol, handing each frame to ``on_frame`` as it is parsed.

    ``on_frame`` runs inside websockets' parser: a ``UnicodeDecodeError`` it raises
    fails the connection with 1007, and the frames after it are never parsed.

    The message size cap is counted here, over data frames only. websockets bounds
    every frame's declared length by what is left of the open message, control frames
    too, so a ping between the fragments of a message near the cap failed the
    connection with 1009 (RFC 6455 §5.4 lets control frames come mid-message, and a
    ping is not part of the message). Its own count is kept at 0 while a message is
    open, so it bounds each frame by the whole cap: a frame past the cap is still
    refused from its head, and a continuation past what is left of its message once it
    is read (so at most the cap is buffered beside the message)."""

    on_frame: Callable[[Frame], None] | None = None

    def __init__(self, *, max_size: int | None, **options: Any) -> None:
        super().__init__(max_size=max_size, **options)
        self.message_cap = max_size
        self.message_bytes = 0
        """Bytes of the open message so far (0: none is open)."""
        self._count = "current_size" if hasattr(self, "current_size") else "cur_size"
        """websockets' count of the open message (None: none): 15+, and 14's name."""

    def recv_frame(self, frame: Frame) -> None:
        opcode, count = frame.opcode, self._count
        if opcode is CLOSE:  # the unfinished message is abandoned, not an error
            setattr(self, count, None)
            self.message_bytes = 0
        elif opcode is CONT and self.message_cap is not None and getattr(self, count) is not None:
            room = self.message_cap - self.message_bytes
            if len(frame.data) > room:
                setattr(self, count, self.message_bytes)  # what its error message adds
                raise PayloadTooBig(len(frame.data), room)
        super().recv_frame(frame)
        if opcode is TEXT or opcode is BINARY or opcode is CONT:
            if getattr(self, count) is None:  # whole, or its last fragment
                self.message_bytes = 0
            else:
                self.message_bytes += len(frame.data)
                setattr(self, count, 0)
        if self.on_frame is not None:
            self.on_frame(frame)


class Session(asyncio.Protocol):
    """One open (or opening) WebSocket connection of one route."""

    def __init__(
        self,
        route: WebSocketRoute,
        hub: Hub,
        request: Request,
        params: dict[str, str],
        transport: asyncio.Transport,
        observer: Observer | None = None,
        scenarios: Scenarios | None = None,
        hooks: tuple[Hook, ...] = (),
        stub: Stub | None = None,
    ) -> None:
        self.route = route
        self.scenarios = scenarios
        self.hooks = hooks
        self.stub = stub
        self.hub = hub
        self.request = request
        self.params = params
        self.transport = transport
        self.observer = observer
        self.loop = asyncio.get_running_loop()
        self.protocol = _Protocol(
            extensions=[_DEFLATE] if route.compression else None,
            subprotocols=[Subprotocol(name) for name in route.subprotocols] or None,
            max_size=route.max_message_bytes,
            state=OPEN,
        )
        self.protocol.on_frame = self._frame
        self.id = hub.next_id()
        self.path = request.path
        self.opened_at = hub.clock.time()
        self.received = self.sent = self.dropped = 0
        self.open = False
        """The handshake succeeded and the session is in the hub."""
        self.finished = False
        self._timers: dict[object, asyncio.TimerHandle] = {}
        self._keys = itertools.count()
        self._paused = False
        self._parts: list[bytes | bytearray | memoryview] = []
        self._binary = False
        self._decoder: codecs.IncrementalDecoder | None = None
        self._last_in = self.loop.time()
        self._next_tick = 0.0
        self._step = self._round = 0
        self._step_held = False
        self._waiting: deque[tuple[bytes, bool]] | None = None
        """Messages parsed while an async hook runs (None: no hook is running)."""
        self._hook_task: asyncio.Task[None] | None = None

    # --- opening ---------------------------------------------------------------------

    def start(self, leftover: bytes) -> None:
        """Answer the handshake; when accepted, register, greet and read ``leftover``."""
        request = self.request
        handshake = HandshakeRequest(
            request.url,
            Headers(request.headers),
            method=request.method,
            protocol=f"HTTP/{request.http_version}",
        )
        response = self.protocol.accept(handshake)
        self.transport.write(response.serialize())
        if response.status_code != 101:
            self.finished = True
            self._arm("close", CLOSE_TIMEOUT_S, self.transport.abort)
            self.transport.close()
            return
        self.open = True
        self.hub.add(self)
        self._notify("open", None)
        route = self.route
        if route.on_connect is not None:
            self._send_own(route.on_connect)
        if route.every is not None:
            self._next_tick = self.loop.time() + route.every[0]
            self._arm("every", route.every[0], self._tick)
        if route.sequence:
            self._arm("sequence", route.sequence[0].delay_s, self._play)
        if route.idle_timeout_s is not None:
            self._arm("idle", route.idle_timeout_s, self._idle_check)
        transport = self.transport  # still the HTTP protocol's: it was told of a pause
        if transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]:
            self._paused = True
        if leftover:
            self.data_received(leftover)

    def info(self) -> dict[str, Any]:
        """What the hub lists and the observer receives about this session."""
        client = self.request.client
        return {
            "id": self.id,
            "path": self.path,
            "subprotocol": self.protocol.subprotocol,
            "client": f"{client[0]}:{client[1]}" if client else None,
            "opened_at": self.opened_at,
            "messages_in": self.received,
            "messages_out": self.sent,
            "dropped": self.dropped,
        }

    # --- asyncio.Protocol ------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.finished or not self.open:
            return
        self._last_in = self.loop.time()
        protocol = self.protocol
        protocol.receive_data(data)  # each frame went to _frame as it was parsed
        protocol.events_received()
        self._flush()
        if protocol.state is not OPEN:
            self._stop_timers()

    def eof_received(self) -> bool | None:
        try:
            self.protocol.receive_eof()
        except Exception:  # the parser already ended
            pass
        self.protocol.data_to_send()  # the transport closes itself: nothing more to write
        return None

    def pause_writing(self) -> None:
        self._paused = True
        if not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if not self.transport.is_closing() and self._waiting is None:
            self.transport.resume_reading()
        if self._step_held:
            self._step_held = False
            self._arm("sequence", 0.0, self._play)

    def connection_lost(self, exc: Exception | None) -> None:
        self.finished = True
        self._cancel_timers()
        if self._hook_task is not None:
            self._hook_task.cancel()
        if not self.open:
            return
        self.open = False
        self.hub.remove(self)
        protocol = self.protocol
        try:
            protocol.receive_eof()
        except Exception:  # the parser already ended: nothing more to learn from it
            pass
        close = protocol.close_rcvd or protocol.close_sent
        info = self.info()
        info["close_code"] = close.code if close is not None else 1006
        info["close_reason"] = close.reason if close is not None else ""
        self._emit("close", info, info["close_reason"])

    # --- incoming --------------------------------------------------------------------

    def _frame(self, frame: Frame) -> None:
        """One parsed frame (inside websockets' parser: see ``_Protocol``)."""
        if self.finished:  # dropped by a rule: nothing more is read
            return
        opcode = frame.opcode
        if opcode is TEXT or opcode is BINARY:
            self._binary = opcode is BINARY
            self._decoder = None if self._binary else _UTF8()
            self._parts = []
        elif opcode is not CONT:
            if opcode is CLOSE:
                self._stop_timers()
            return  # ping (websockets answered it) or pong
        if self._decoder is not None:  # invalid UTF-8 raises: the parser fails with 1007
            self._decoder.decode(frame.data, final=frame.fin)
        self._parts.append(frame.data)
        if frame.fin:
            payload = b"".join(self._parts)
            self._parts = []
            self._message(payload, self._binary)

    def _message(self, payload: bytes, binary: bool) -> None:
        self.received += 1
        if self.observer is not None:
            self._notify("in", payload if binary else payload.decode())
        if not self.hooks:
            self._decide(payload, binary)
        elif self._waiting is not None:  # an async hook runs for an earlier message
            self._waiting.append((payload, binary))
        else:
            self._hooked(payload, binary)

    def _hooked(self, payload: bytes, binary: bool) -> None:
        """Hand one message to the hooks; then to the rules, unless a hook answered."""
        # addons import realtime: imported here, where a session has hooks
        from ..addons.message import HookFailed, WebSocketMessage, run_message_hooks

        data: str | bytes = payload if binary else payload.decode()
        message = WebSocketMessage(data, self.request, self.params, self.id, self.stub)
        try:
            pending = run_message_hooks(self.hooks, message)
        except HookFailed as failed:
            self._hook_failed(failed)
            return
        if pending is None:
            self._after_hooks(message)
            return
        self._waiting = deque()
        if not self.transport.is_closing():
            self.transport.pause_reading()
        self._hook_task = self.loop.create_task(self._finish_hooks(pending, message))

    async def _finish_hooks(self, pending: Awaitable[None], message: WebSocketMessage) -> None:
        from ..addons.message import HookFailed

        waiting: deque[tuple[bytes, bool]] = deque()
        try:
            await pending
        except HookFailed as failed:
            self._hook_failed(failed)  # the rest are never answered: the session closes
        else:
            self._after_hooks(message)
            waiting = self._waiting or waiting
        finally:
            self._hook_task = None
            self._waiting = None
        while waiting and not self.finished and self.protocol.state is OPEN:
            self._hooked(*waiting.popleft())
            if self._waiting is not None:  # async again: the rest wait behind it
                self._waiting.extend(waiting)
                return
        if not self.finished and not self._paused and not self.transport.is_closing():
            self.transport.resume_reading()  # the close handshake needs reading too

    def _after_hooks(self, message: WebSocketMessage) -> None:
        if not message.answered:
            binary, payload = message.frame()
            self._decide(payload, binary)
            return
        if message.broadcasts:
            for session in self.hub.sessions(self.path, self.route):
                session.push(message.broadcasts, own=session is self)
        if message.replies:
            self.push(message.replies, own=True)
        if message.closing is not None:
            self.close(*message.closing)

    def _hook_failed(self, failed: Exception) -> None:
        _log.error("websocket %s: %s", self.path, failed)
        self.close(1011, "addon error")

    def _decide(self, payload: bytes, binary: bool) -> None:
        """The route's rules on one message."""
        try:
            reaction = self.route.react(self.request, self.params, payload, binary, self.scenarios)
        except TemplateRenderError as exc:
            self._render_failed(exc)
            return
        except Exception:  # a matcher's bug: this connection ends, the server goes on
            _log.exception("websocket %s: deciding a reply failed", self.path)
            self.close(1011, "internal error")
            return
        if reaction is None:
            return
        if reaction.delay_s > 0:
            self._arm(next(self._keys), reaction.delay_s, self._carry_out, reaction)
        else:
            self._carry_out(reaction)

    def _carry_out(self, reaction: Reaction) -> None:
        if reaction.drop:
            self.abort()
            return
        if reaction.frames:
            if reaction.broadcast:
                for session in self.hub.sessions(self.path, self.route):
                    session.push(reaction.frames, own=session is self)
            else:
                self.push(reaction.frames, own=True)
        if reaction.close is not None:
            self.close(*reaction.close)

    # --- outgoing --------------------------------------------------------------------

    def push(self, frames: list[Message], own: bool = False) -> bool:
        """Send ``frames``; a push from elsewhere (not ``own``) is dropped while the
        client is not reading. Whether they were sent."""
        protocol = self.protocol
        if self.finished or protocol.state is not OPEN:
            return False
        if self._paused and not own:
            self.dropped += len(frames)
            return False
        for binary, payload in frames:
            if binary:
                protocol.send_binary(payload)
            else:
                protocol.send_text(payload)
            self.sent += 1
            if self.observer is not None:
                self._notify("out", payload if binary else payload.decode())
        self._flush()
        return True

    def close(self, code: int, reason: str = "") -> None:
        """Start the close handshake (nothing when already closing)."""
        if not self.finished and self.protocol.state is OPEN:
            self.protocol.send_close(code, reason)
            self._flush()
            self._stop_timers()

    def abort(self) -> None:
        """Drop the TCP connection: no close frame (the ``drop`` fault)."""
        self.finished = True
        self._cancel_timers()
        self.transport.abort()

    def _send_own(self, messages: Messages, own: bool = True) -> None:
        try:
            frames = messages.frames(self.request, self.params)
        except TemplateRenderError as exc:
            self._render_failed(exc)
            return
        self.push(frames, own=own)

    def _render_failed(self, exc: TemplateRenderError) -> None:
        _log.warning("websocket %s: template failed: %s", self.path, exc)
        self.close(1011, "template error")

    def _flush(self) -> None:
        transport = self.transport
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():  # the server closes first (RFC 6455 §7.1.1)
                try:
                    transport.write_eof()
                except (OSError, RuntimeError):
                    transport.close()
            else:
                transport.close()
        if self.protocol.close_expected():
            self._arm("close", CLOSE_TIMEOUT_S, transport.abort, replace=False)

    # --- timers ----------------------------------------------------------------------

    def _tick(self) -> None:
        every = self.route.every
        assert every is not None
        period, messages = every
        if self._paused:
            self.dropped += len(messages.items)
        else:
            self._send_own(messages, own=False)
        now = self.loop.time()
        self._next_tick += period
        if self._next_tick < now:  # fell behind (a busy loop): no burst to catch up
            self._next_tick = now + period
        if not self.finished and self.protocol.state is OPEN:
            self._arm("every", self._next_tick - now, self._tick)

    def _play(self) -> None:
        if self._paused:
            self._step_held = True
            return
        steps = self.route.sequence
        step = steps[self._step]
        if step.messages is not None:
            self._send_own(step.messages)
        if step.close is not None:
            self.close(*step.close)
            return
        self._step += 1
        if self._step == len(steps):
            self._step, self._round = 0, self._round + 1
            repeat = self.route.repeat
            if repeat is not None and self._round >= repeat:
                return
        if not self.finished and self.protocol.state is OPEN:
            self._arm("sequence", steps[self._step].delay_s, self._play)

    def _idle_check(self) -> None:
        timeout = self.route.idle_timeout_s
        assert timeout is not None
        left = self._last_in + timeout - self.loop.time()
        if left > 0.001:
            self._arm("idle", left, self._idle_check)
        else:
            self.close(1001, "idle timeout")

    def _arm(
        self, key: object, delay: float, fn: Callable[..., None], *args: Any, replace: bool = True
    ) -> None:
        if key in self._timers:
            if not replace:
                return
            self._timers.pop(key).cancel()
        self._timers[key] = self.loop.call_later(delay, self._fire, key, fn, args)

    def _fire(self, key: object, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        self._timers.pop(key, None)
        fn(*args)

    def _stop_timers(self) -> None:
        """Closing: nothing more to send; only the close timeout stays."""
        for key in [key for key in self._timers if key != "close"]:
            self._timers.pop(key).cancel()

    def _cancel_timers(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()

    def timers(self) -> int:
        """How many timers are armed (what the tests watch)."""
        return len(self._timers)

    # --- observer --------------------------------------------------------------------

    def _notify(self, kind: str, data: str | bytes | None) -> None:
        if self.observer is not None:
            self._emit(kind, self.info(), data)

    def _emit(self, kind: str, info: dict[str, Any], data: str | bytes | None) -> None:
        if self.observer is None:
            return
        try:
            self.observer(kind, info, data)
        except Exception:
            _log.exception("websocket observer failed on %s", kind)
