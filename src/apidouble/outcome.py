"""What the engine tells the transport to do, as plain data.

Not frozen: one ``Respond`` is built per request and a frozen dataclass's ``__init__``
costs twice as much; nothing mutates these after the engine returns them.

The engine never touches sockets; the transport never decides anything. A ``Response``
is already encoded (status line, headers, ``content-length``) so static stubs cost one
write at serve time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Protocol

from .behaviours.faults import FaultPlan
from .behaviours.pacing import Step
from .model import Request, ServeEvent


def reason_phrase(status: int) -> str:
    """The standard reason phrase, or a neutral one for codes HTTP does not name."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


@dataclass(slots=True)
class Response:
    """A ready-to-send response; ``head`` ends with the last header line's CRLF."""

    status: int
    head: bytes
    body: bytes

    @classmethod
    def build(cls, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Response:
        """Encode once; ``content-length`` is added here and must not be in ``headers``."""
        lines = [f"HTTP/1.1 {status} {reason_phrase(status)}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers)
        lines.append(f"content-length: {len(body)}\r\n")
        head = "".join(lines).encode("latin-1", "replace")
        return cls(status, head, body)

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
    or bandwidth-capped); the head always leaves with the first slice.
    """

    response: Response
    delay_s: float = 0.0
    event: ServeEvent | None = None
    pacing: tuple[Step, ...] = ()


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
    pacing: tuple[Step, ...] = ()


Outcome = Respond | Fail
"""Every instruction the engine can give; later: forwards join this union."""


class Handler(Protocol):
    """What the transport serves: the engine, or anything shaped like it."""

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        """Decide the outcome; plain return when no I/O was needed (the fast path)."""
        ...

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        """Called once the response was written (or the client went away)."""
        ...
