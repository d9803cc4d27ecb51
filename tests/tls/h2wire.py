"""A raw HTTP/2 client for tests: h2's client state machine on a blocking socket, so a
test can send exactly the frames it means (or broken ones) and see every frame back."""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    Event,
    ResponseReceived,
    StreamEnded,
    StreamReset,
)
from h2.settings import SettingCodes, Settings

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    """One HTTP/2 frame as bytes (RFC 9113 §4.1), valid or not."""
    return struct.pack(">I", len(payload))[1:] + bytes((kind, flags)) + struct.pack(
        ">I", stream_id
    ) + payload  # fmt: skip


def tls_socket(port: int, ca: Path | None, alpn: tuple[str, ...] = ("h2",)) -> ssl.SSLSocket:
    assert ca is not None
    context = ssl.create_default_context(cafile=str(ca))
    context.set_alpn_protocols(list(alpn))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return context.wrap_socket(raw, server_hostname="localhost")


class Wire:
    """One HTTP/2 connection: send requests or raw bytes, read events until a condition."""

    def __init__(self, sock: socket.socket, window: int | None = None) -> None:
        self.sock = sock
        self.conn = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
        if window is not None:
            self.conn.local_settings = Settings(
                client=True, initial_values={SettingCodes.INITIAL_WINDOW_SIZE: window}
            )
        self.conn.initiate_connection()
        self.flush()
        self.events: list[Event] = []
        self.bodies: dict[int, bytes] = {}
        self.heads: dict[int, dict[str, str]] = {}
        self.ended: list[int] = []
        self.resets: dict[int, int] = {}
        self.goaway: ConnectionTerminated | None = None
        self.auto_ack = window is None
        """Give back flow-control credit for each DATA frame (as a real client does)."""

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def get(self, path: str, method: str = "GET", body: bytes = b"", **headers: str) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        fields = [
            (":method", method),
            (":path", path),
            (":scheme", "https"),
            (":authority", "localhost"),
            *headers.items(),
        ]
        self.conn.send_headers(stream_id, fields, end_stream=not body)
        size = self.conn.max_outbound_frame_size
        for start in range(0, len(body), size):  # within the first window: enough here
            last = start + size >= len(body)
            self.conn.send_data(stream_id, body[start : start + size], end_stream=last)
        self.flush()
        return stream_id

    def read(self, done: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Read until ``done()``; False if the connection ended or went quiet first."""
        self.sock.settimeout(timeout)
        while not done():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            except (ConnectionError, ssl.SSLError):
                return False
            if not data:
                return False
            for event in self.conn.receive_data(data):
                self._take(event)
            self.flush()
        return True

    def _take(self, event: Any) -> None:
        self.events.append(event)
        if isinstance(event, ResponseReceived):
            self.heads[event.stream_id] = dict(event.headers)
        elif isinstance(event, DataReceived):
            self.bodies[event.stream_id] = self.bodies.get(event.stream_id, b"") + event.data
            if self.auto_ack:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, StreamEnded):
            self.ended.append(event.stream_id)
        elif isinstance(event, StreamReset):
            self.resets[event.stream_id] = event.error_code
        elif isinstance(event, ConnectionTerminated):
            self.goaway = event

    def close(self) -> None:
        self.sock.close()
