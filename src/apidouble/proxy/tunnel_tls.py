"""TLS inside a CONNECT tunnel, on memory BIOs: encrypted bytes in and out of the client's
connection, decrypted ones to an HTTP protocol as if it had a TLS transport of its own.

``loop.start_tls`` is not used: it cannot take the bytes the client sent right after its
CONNECT head (already read by the HTTP/1.1 parser), and on asyncio and uvloop alike the
application protocol may receive decrypted data before ``start_tls`` returns. Here the
handshake runs on an ``ssl.SSLObject`` fed by ``TlsTunnel.data_received`` (non-blocking,
the same on both loops) and the HTTP protocol's ``connection_made`` comes once the
handshake is done, before any decrypted byte. ``TlsSide`` is what that protocol sees: the
``Transport`` calls the transport layer makes (write, close, flow control, extra info
with ``ssl_object``), carried out on the client's connection.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterable
from typing import Any

_log = logging.getLogger("apidouble.proxy")

_READ_SIZE = 256 * 1024
_HANDSHAKING, _OPEN, _CLOSED = 0, 1, 2

Opened = Callable[["TlsSide"], None]
"""Sets the protocol of a tunnel whose handshake is done (and calls its
``connection_made``)."""
Failed = Callable[[Exception], None]
"""Hears why a handshake failed (the connection is aborted already)."""


class TlsTunnel(asyncio.Protocol):
    """The client's side of one tunnel: TLS records in and out, the handshake first."""

    __slots__ = (
        "raw",
        "tls",
        "side",
        "_in",
        "_out",
        "_state",
        "_opened",
        "_failed",
        "_timer",
        "reading",
        "_eof",
        "on_lost",
    )

    def __init__(
        self,
        raw: asyncio.Transport,
        tls_for: Callable[[ssl.MemoryBIO, ssl.MemoryBIO], ssl.SSLObject],
        opened: Opened,
        failed: Failed,
        timeout_s: float,
    ) -> None:
        self.raw = raw
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.tls = tls_for(self._in, self._out)
        self.side: TlsSide | None = None
        self._state = _HANDSHAKING
        self._opened = opened
        self._failed = failed
        loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = loop.call_later(timeout_s, self._timed_out)
        self.reading = True
        """The decrypted side wants data (its ``pause_reading`` clears it)."""
        self._eof = False
        self.on_lost: Callable[[], None] | None = None
        """Called once the client's connection is gone."""

    def start(self, leftover: bytes) -> None:
        """Take the bytes that came after the CONNECT head (the start of a ClientHello,
        when the client did not wait for our 200). A failure is carried out on the next
        turn of the loop: the caller hands the connection over first."""
        if not leftover:
            return
        self._in.write(leftover)
        try:
            self._handshake()
        except Exception as exc:
            self._state = _CLOSED
            asyncio.get_running_loop().call_soon(self._fail, exc)

    # --- the client's connection (encrypted) ---------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._state == _CLOSED:
            return
        self._in.write(data)
        if self._state == _HANDSHAKING:
            try:
                self._handshake()
            except Exception as exc:
                self._state = _CLOSED
                self._fail(exc)
        else:
            self.pump()

    def eof_received(self) -> bool | None:
        if self._state == _HANDSHAKING:
            self._state = _CLOSED
            self._fail(ConnectionResetError("the client closed the tunnel during the handshake"))
            return None
        self._in.write_eof()
        self.pump()  # the records before the end, then the end itself
        self._end_of_input()
        return True  # the write side stays open until the protocol closes it

    def connection_lost(self, exc: Exception | None) -> None:
        handshaking = self._state == _HANDSHAKING
        self._state = _CLOSED
        self._cancel_timer()
        if self.on_lost is not None:
            self.on_lost()
        side = self.side
        if side is not None:
            side.protocol.connection_lost(exc)
        elif handshaking:
            self._failed(exc or ConnectionResetError("the client left during the handshake"))

    def pause_writing(self) -> None:
        if self.side is not None:
            self.side.protocol.pause_writing()

    def resume_writing(self) -> None:
        if self.side is not None:
            self.side.protocol.resume_writing()

    # --- TLS ------------------------------------------------------------------------------

    def _handshake(self) -> None:
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            self.flush()
            return
        except BaseException:
            self.flush()  # the alert, if OpenSSL made one
            raise
        self.flush()
        self._cancel_timer()
        self._state = _OPEN
        self.side = side = TlsSide(self)
        self._opened(side)
        self.pump()  # what came with the client's Finished

    def pump(self) -> None:
        """Decrypt what arrived and hand it on, while the protocol reads."""
        while self._state == _OPEN and self.reading and self.side is not None:
            try:
                chunk = self.tls.read(_READ_SIZE)
            except ssl.SSLWantReadError:
                break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):  # close_notify, or a bare EOF
                self._end_of_input()
                break
            except ssl.SSLError as exc:  # a broken record
                _log.debug("tunnel TLS error: %s", exc)
                self._state = _CLOSED
                self.flush()
                self.raw.abort()
                return
            if not chunk:
                break
            protocol = self.side.protocol
            if isinstance(protocol, asyncio.Protocol):
                protocol.data_received(chunk)
        self.flush()

    def _end_of_input(self) -> None:
        """The client sends no more: tell the protocol once; close unless it keeps the
        connection to finish an answer (as ``eof_received`` says)."""
        if self._eof or self._state != _OPEN or self.side is None:
            return
        self._eof = True
        protocol = self.side.protocol
        keep = protocol.eof_received() if isinstance(protocol, asyncio.Protocol) else None
        if not keep:
            self.side.close()

    def flush(self) -> None:
        """Send the records OpenSSL produced."""
        pending = self._out.read()
        if pending and not self.raw.is_closing():
            try:
                self.raw.write(pending)
            except RuntimeError:  # uvloop: the peer reset and the handle closed just now
                pass

    def write(self, data: bytes) -> None:
        if self._state != _OPEN or not data:
            return
        try:
            self.tls.write(data)
        except ssl.SSLError as exc:
            _log.debug("tunnel TLS write failed: %s", exc)
            self.raw.abort()
            return
        self.flush()

    def close(self) -> None:
        """Say close_notify, then close the client's connection once it is written."""
        if self._state == _OPEN:
            self._state = _CLOSED
            try:
                self.tls.unwrap()
            except (ssl.SSLError, OSError):  # the client's close_notify is not awaited
                pass
            self.flush()
        self.raw.close()

    def set_reading(self, reading: bool) -> None:
        if reading == self.reading:
            return
        self.reading = reading
        if self.raw.is_closing():
            return
        if reading:
            self.raw.resume_reading()
            asyncio.get_running_loop().call_soon(self.pump)  # records already received
        else:
            self.raw.pause_reading()

    def _timed_out(self) -> None:
        self._timer = None
        if self._state == _HANDSHAKING:
            self._state = _CLOSED
            self._fail(TimeoutError("the TLS handshake did not finish in time"))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fail(self, exc: Exception) -> None:
        self._cancel_timer()
        self.raw.abort()
        self._failed(exc)


class TlsSide(asyncio.Transport):
    """The decrypted side of a tunnel, as the HTTP protocol serving it sees it."""

    def __init__(self, tunnel: TlsTunnel) -> None:
        super().__init__()
        self._tunnel = tunnel
        self.protocol: asyncio.BaseProtocol = asyncio.Protocol()
        self._closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        tls = self._tunnel.tls
        if name == "ssl_object":
            return tls
        if name == "sslcontext":
            return tls.context
        if name == "peercert":
            return tls.getpeercert()
        if name == "cipher":
            return tls.cipher()
        return self._tunnel.raw.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.protocol

    def is_closing(self) -> bool:
        return self._closing or self._tunnel.raw.is_closing()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._closing:
            self._tunnel.write(bytes(data))

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(list_of_data))

    def can_write_eof(self) -> bool:
        return False  # TLS has no half-close: close_notify ends both directions

    def write_eof(self) -> None:
        raise NotImplementedError("TLS cannot half-close")

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._tunnel.close()

    def abort(self) -> None:
        self._closing = True
        self._tunnel.raw.abort()

    def pause_reading(self) -> None:
        self._tunnel.set_reading(False)

    def resume_reading(self) -> None:
        self._tunnel.set_reading(True)

    def is_reading(self) -> bool:
        return self._tunnel.reading

    def get_write_buffer_size(self) -> int:
        return self._tunnel.raw.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._tunnel.raw.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._tunnel.raw.set_write_buffer_limits(high, low)
