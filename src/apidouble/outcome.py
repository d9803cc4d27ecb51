"""What the engine tells the transport to do, as plain data.

Not frozen: one ``Respond`` is built per request and a frozen dataclass's ``__init__``
costs twice as much; nothing mutates these after the engine returns them.

The engine never touches sockets; the transport never decides anything. A ``Response``
is already encoded (status line, headers, ``content-length``) so static stubs cost one
write at serve time.

``Outcome`` is a closed union: the transport dispatches on it with ``match`` and
``assert_never``, so a new kind of outcome is a type error until the transport carries it
out, never a runtime 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol

from .behaviours.faults import FaultPlan
from .behaviours.pacing import Step
from .model import Request, ServeEvent

_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def reason_phrase(status: int) -> str:
    """The standard reason phrase, or a neutral one for codes HTTP does not name."""
    return _PHRASES.get(status, "Status")


@dataclass(slots=True)
class Response:
    """A ready-to-send response; ``head`` ends with the last header line's CRLF."""

    status: int
    head: bytes
    body: bytes

    @classmethod
    def build(
        cls,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        reason: str | None = None,
    ) -> Response:
        """Encode once; ``content-length`` is added here and must not be in ``headers``;
        ``reason`` replaces the standard reason phrase."""
        lines = [f"HTTP/1.1 {status} {reason or reason_phrase(status)}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers)
        lines.append(f"content-length: {len(body)}\r\n")
        head = "".join(lines).encode("latin-1", "replace")
        return cls(status, head, body)

    @classmethod
    def build_streamed(
        cls, status: int, headers: Iterable[tuple[str, str]], reason: str | None = None
    ) -> Response:
        """A head for a body that follows as a stream (``Respond.stream``): no
        ``content-length``; the transport frames the body (chunked on HTTP/1.1)."""
        lines = [f"HTTP/1.1 {status} {reason or reason_phrase(status)}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers)
        return cls(status, "".join(lines).encode("latin-1", "replace"), b"")

    def with_headers(self, headers: Iterable[tuple[str, str]]) -> Response:
        """The same response with more header lines (CORS, rate-limit, caching)."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
        if not extra:
            return self
        return Response(self.status, self.head + extra.encode("latin-1", "replace"), self.body)


@dataclass(slots=True)
class Respond:
    """Send ``response`` after ``delay_s`` seconds (a non-blocking wait).

    With ``pacing``, the body leaves in the planned slices instead of at once (dribbled
    or bandwidth-capped); the head leaves at once, with the first slice unless that one is
    late; ``pacing`` is ignored with ``stream``. With ``stream``,
    ``response`` is a head made by ``Response.build_streamed`` and the body is whatever
    the stream yields, framed by the transport (chunked encoding on HTTP/1.1).
    """

    response: Response
    delay_s: float = 0.0
    event: ServeEvent | None = None
    pacing: tuple[Step, ...] = ()
    stream: AsyncIterator[bytes] | None = None


NO_RESPONSE = Response(0, b"", b"")
"""What a fault "sent": status 0, nothing."""


@dataclass(slots=True)
class Fail:
    """Sabotage the connection per ``plan`` after ``delay_s`` instead of answering.

    ``response`` is what the journal and hooks see as the status (0: no response sent).
    """

    plan: FaultPlan
    delay_s: float = 0.0
    event: ServeEvent | None = None
    response: Response = field(default_factory=lambda: NO_RESPONSE)


@dataclass(slots=True)
class Forward:
    """Send ``request`` on to ``upstream`` (a base URL) and relay what comes back.

    The transport hands it to its ``Forwarder`` (the proxy) after ``delay_s``; what the
    forwarder answers is written like a ``Respond``. ``options`` carries the stub's proxy
    settings (prefix to strip, headers to add or remove, timeouts) as the proxy reads them.
    """

    upstream: str
    request: Request
    delay_s: float = 0.0
    event: ServeEvent | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    response: Response = field(default_factory=lambda: NO_RESPONSE)
    check: Callable[[Respond], Respond] | None = None
    """A last look at the upstream's answer before it is sent (``--validate-responses``
    checks it against the spec: ``openapi.drift``)."""


@dataclass(slots=True)
class Upgrade:
    """Hand the connection to another protocol (WebSocket, h2c) after this request's head.

    The transport stops parsing HTTP/1.1 and calls ``handler.take_over`` with the raw
    transport, the request and the bytes that arrived after the head; the handler writes
    its own handshake answer (``101 Switching Protocols``) and returns the protocol that
    receives the connection's bytes from then on.
    """

    handler: UpgradeHandler
    request: Request
    delay_s: float = 0.0
    event: ServeEvent | None = None
    response: Response = field(default_factory=lambda: NO_RESPONSE)


Outcome = Respond | Fail | Forward | Upgrade
"""Every instruction the engine can give: a closed union the transport matches on."""


class UpgradeHandler(Protocol):
    """Takes over an upgraded connection (see ``Upgrade``)."""

    def take_over(
        self, transport: asyncio.Transport, request: Request, leftover: bytes
    ) -> asyncio.Protocol:
        """Start the new protocol on ``transport``; ``leftover`` came after the head."""
        ...


class Forwarder(Protocol):
    """Carries out a ``Forward`` (the proxy): calls the upstream, returns what to send."""

    def forward(self, outcome: Forward) -> Awaitable[Respond]:
        """The upstream's answer as a ``Respond`` (a 502/504 ``Respond`` on failure)."""
        ...


class Handler(Protocol):
    """What the transport serves: the engine, or anything shaped like it."""

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        """Decide the outcome; plain return when no I/O was needed (the fast path)."""
        ...

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        """Called once the response was written (or the client went away)."""
        ...
