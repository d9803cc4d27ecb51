"""What the engine tells the transport to do, as plain data.

The engine never touches sockets; the transport never decides anything. A ``Response``
is already encoded (status line, headers, ``content-length``) so static stubs cost one
write at serve time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

from .model import Request, ServeEvent


def reason_phrase(status: int) -> str:
    """The standard reason phrase, or a neutral one for codes HTTP does not name."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Respond:
    """Send ``response`` after ``delay_s`` seconds (a non-blocking wait)."""

    response: Response
    delay_s: float = 0.0
    event: ServeEvent | None = None


Outcome = Respond
"""Every instruction the engine can give; later: faults and forwards join this union."""


class Handler(Protocol):
    """What the transport serves: the engine, or anything shaped like it."""

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        """Decide the outcome; plain return when no I/O was needed (the fast path)."""
        ...

    def served(self, outcome: Outcome, elapsed_s: float) -> None:
        """Called once the response was written (or the client went away)."""
        ...
