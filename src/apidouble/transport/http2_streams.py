"""One HTTP/2 stream's side of the exchange: its request as it arrives, its answer as it
leaves, and the translation between our HTTP/1.1-shaped data and HTTP/2's.

The engine encodes every ``Response`` head as HTTP/1.1 bytes once, at load time where it
can; here such a head becomes HTTP/2 header fields (``:status``, lower-case names, no
connection-specific fields, RFC 9113 §8.2.2), and a stream's headers become the
``Request`` HTTP/1.1 would have built (``:authority`` as ``host``, cookies joined).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final

from ..model import Request
from ..outcome import Outcome, Response

Fields = list[tuple[bytes, bytes]]

HOP_BY_HOP: Final = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade")
)
"""Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2): dropped from answers."""


def response_fields(response: Response) -> Fields:
    """``response.head`` (``HTTP/1.1 200 OK`` and header lines) as HTTP/2 header fields."""
    lines = response.head.split(b"\r\n")
    fields: Fields = [(b":status", b"%d" % response.status)]
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        name = name.strip(b" \t").lower()
        if name and name not in HOP_BY_HOP and not name.startswith(b":"):
            fields.append((name, value.strip(b" \t")))
    return fields


def bodyless(method: str, status: int) -> bool:
    """Whether the answer to ``method`` with ``status`` carries no body (RFC 9110 §6.4.1)."""
    return method == "HEAD" or status == 204 or status == 304 or status < 200


class Stream:
    """One stream: the request's parts until it ends, then the answer being sent."""

    __slots__ = (
        "id",
        "method",
        "path",
        "query",
        "authority",
        "headers",
        "body",
        "size",
        "request",
        "started",
        "timer",
        "pending",
        "task",
        "reported",
        "closed",
        "outbox",
        "ending",
        "drained",
        "pacing",
    )

    def __init__(self, stream_id: int) -> None:
        self.id = stream_id
        self.method = self.path = self.query = ""
        self.authority: bytes | None = None
        self.headers: Fields = []
        self.body: list[bytes] = []
        self.size = 0
        self.request: Request | None = None
        self.started = 0.0
        self.timer: asyncio.TimerHandle | None = None
        """A delayed outcome's timer, or a held stream's (the ``timeout`` fault)."""
        self.pending: Outcome | None = None
        """The outcome ``timer`` will carry out, reported even if the stream goes first."""
        self.task: asyncio.Task[None] | None = None
        self.reported = self.closed = self.ending = False
        self.outbox: deque[memoryview] = deque()
        """Body bytes waiting for the peer's flow-control window."""
        self.drained: asyncio.Future[None] | None = None
        """Set by a streamed body's pump, resolved once ``outbox`` is empty."""
        self.pacing: asyncio.TimerHandle | None = None

    def take_head(self, fields: Fields) -> bool:
        """Keep a request head; False if a pseudo-header we need is missing (h2 checked
        the rest: order, duplicates, lower-case names, no connection-specific fields)."""
        target = b""
        headers = self.headers
        cookies: list[bytes] = []
        for name, value in fields:
            if name[:1] == b":":
                if name == b":method":
                    self.method = value.decode("latin-1")
                elif name == b":path":
                    target = value
                elif name == b":authority":
                    self.authority = value
            elif name == b"cookie":
                cookies.append(value)
            else:
                if name == b"host" and self.authority is None:
                    self.authority = value
                headers.append((name, value))
        if cookies:  # split for compression; one field again for HTTP/1.1 semantics
            headers.append((b"cookie", b"; ".join(cookies)))
        if self.authority is not None and not any(n == b"host" for n, _ in headers):
            headers.insert(0, (b"host", self.authority))
        if not self.method or target[:1] != b"/":
            return False
        path, _, query = target.partition(b"?")
        self.path = path.decode("latin-1")
        self.query = query.decode("latin-1")
        return True

    def feed(self, data: bytes) -> int:
        """Keep a piece of the request body; the body's size so far."""
        self.body.append(data)
        self.size += len(data)
        return self.size

    def to_request(self, client: tuple[str, int] | None) -> Request:
        body = self.body
        self.request = Request(
            self.method,
            self.path,
            self.query,
            (),
            body[0] if len(body) == 1 else b"".join(body),
            client,
            "2",
            self.headers,
        )
        self.body = []
        return self.request

    def queue(self, data: bytes) -> None:
        if data:
            self.outbox.append(memoryview(data))

    def take(self, size: int) -> bytes:
        """Up to ``size`` bytes from the front of ``outbox``."""
        outbox = self.outbox
        head = outbox[0]
        if len(head) <= size:
            outbox.popleft()
            return bytes(head)
        outbox[0] = head[size:]
        return bytes(head[:size])

    def cancel(self) -> None:
        """The stream ended before its answer did: stop its timers and pump."""
        self.closed = True
        self.outbox.clear()
        for handle in (self.timer, self.pacing):
            if handle is not None:
                handle.cancel()
        self.timer = self.pacing = None
        if self.task is not None:
            self.task.cancel()
            self.task = None
        drained = self.drained
        if drained is not None and not drained.done():
            drained.set_result(None)
