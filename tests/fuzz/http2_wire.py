"""A raw-socket HTTP/2 client for the frame fuzzer: send the preface and any bytes, then
a PING, and read the server's frames (strictly: each must parse) until the PING's ACK
or the server's close. No client state machine: the bytes sent are the test's alone."""

from __future__ import annotations

import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from hpack import Decoder

__all__ = ["PROBE", "Heard", "connect", "exchange"]

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS = b"\0\0\0\x04\0\0\0\0\0"
"""An empty SETTINGS frame: the rest of the client's preface."""
PROBE = b"fuzzping"
_PING = b"\0\0\x08\x06\0\0\0\0\0" + PROBE
_HEADERS, _RST_STREAM, _SETTINGS, _PING_KIND, _GOAWAY, _CONTINUATION = 1, 3, 4, 6, 7, 9
_ERROR_CODES = range(0xE)  # NO_ERROR .. HTTP_1_1_REQUIRED (RFC 9113 §7)


@dataclass(slots=True)
class Heard:
    """What the server sent on one connection."""

    statuses: dict[int, int] = field(default_factory=dict)
    """The ``:status`` of each stream's response head."""
    resets: dict[int, int] = field(default_factory=dict)
    goaway: int | None = None
    """The error code of the server's GOAWAY, if it sent one."""
    alive: bool = False
    """The server answered the final PING: it read everything and serves on."""
    closed: bool = False


def connect(port: int, ca: Path | None, timeout_s: float) -> socket.socket:
    """A connection that speaks HTTP/2 from its first byte: h2c by prior knowledge
    without ``ca``, TLS with ALPN ``h2`` with it."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    if ca is None:
        return raw
    context = ssl.create_default_context(cafile=str(ca))
    context.set_alpn_protocols(["h2"])
    try:
        sock = context.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise
    assert sock.selected_alpn_protocol() == "h2"
    return sock


def exchange(port: int, ca: Path | None, data: bytes, timeout_s: float) -> Heard:
    """Send the preface, ``data`` and a PING; read until the PING's ACK or the close.
    Raises ``TimeoutError`` when neither comes within ``timeout_s`` (a hang)."""
    deadline = time.monotonic() + timeout_s
    heard = Heard()
    reader = _Frames()
    with connect(port, ca, timeout_s) as sock:
        try:
            sock.sendall(PREFACE + SETTINGS + data + _PING)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the server ended it before reading all: what it said is still to read
        while not heard.alive:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"neither the PING's ACK nor a close in {timeout_s} s")
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            except TimeoutError:
                raise TimeoutError(f"no PING ACK nor close in {timeout_s} s: {heard}") from None
            if not chunk:
                heard.closed = True
                break
            reader.feed(chunk, heard)
    return heard


class _Frames:
    """Splits the server's bytes into frames and checks each one's fields."""

    def __init__(self) -> None:
        self.buffer = b""
        self.decoder = Decoder()
        self.decoder.max_header_list_size = 1 << 20
        self.decoder.max_allowed_table_size = 1 << 32  # what the fuzzed SETTINGS allowed
        self.block = b""
        self.block_stream = 0

    def feed(self, data: bytes, heard: Heard) -> None:
        self.buffer += data
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")  # may pass 16 KB if SETTINGS allow
            if len(self.buffer) < 9 + length:
                return
            kind, flags = self.buffer[3], self.buffer[4]
            stream = struct.unpack(">I", self.buffer[5:9])[0] & 0x7FFFFFFF
            payload = self.buffer[9 : 9 + length]
            self.buffer = self.buffer[9 + length :]
            self._take(kind, flags, stream, payload, heard)

    def _take(self, kind: int, flags: int, stream: int, payload: bytes, heard: Heard) -> None:
        if kind == _PING_KIND and flags & 1 and payload == PROBE:
            heard.alive = True
        elif kind == _GOAWAY:
            assert stream == 0 and len(payload) >= 8, payload
            code = struct.unpack(">I", payload[4:8])[0]
            assert code in _ERROR_CODES, f"GOAWAY with unknown code {code}"
            heard.goaway = code
        elif kind == _RST_STREAM:
            assert stream != 0 and len(payload) == 4, payload
            code = struct.unpack(">I", payload)[0]
            assert code in _ERROR_CODES, f"RST_STREAM with unknown code {code}"
            heard.resets[stream] = code
        elif kind in (_HEADERS, _CONTINUATION):
            assert kind == _HEADERS or stream == self.block_stream, "a stray CONTINUATION"
            self.block += payload
            self.block_stream = stream
            if flags & 0x4:  # END_HEADERS
                fields = dict(self.decoder.decode(self.block, raw=True))
                self.block = b""
                if b":status" in fields:
                    heard.statuses.setdefault(stream, int(fields[b":status"]))
        elif kind == _SETTINGS:
            assert stream == 0 and len(payload) % 6 == 0, payload
