"""Serve time, without sockets: one call -> the stub that answers it, the near-miss text
when none does, and the journal's record of it.

A call is seen as the HTTP request gRPC sends (``POST /package.Service/Method``, metadata
as headers, the request message as a JSON body), so the stubs' compiled patterns test and
explain it as they would any request, and the journal keeps it beside the HTTP exchanges.
"""

from __future__ import annotations

import base64
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apidouble.config.grpc import STATUS_NAMES
from apidouble.grpc.stubs import CompiledGrpcStub, MethodRoute, encode_json
from apidouble.matching.result import MatchResult
from apidouble.model import Request, ServeEvent
from apidouble.outcome import Response

OK, CANCELLED, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, UNIMPLEMENTED = 0, 1, 3, 4, 5, 12

_MAX_DETAILS = 400
"""Status details travel in a header: a near-miss report is kept short."""


@dataclass(slots=True)
class Call:
    """One call as it goes: what came in, what was decided, what was sent."""

    path: str
    request: Request
    received_at: float
    started: float
    """Monotonic seconds at arrival (for the duration)."""
    stub: CompiledGrpcStub | None = None
    code: int = CANCELLED
    details: str | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)
    streaming: bool = False
    delay_s: float = 0.0
    recorded: bool = False

    def end(self, code: int, details: str | None = None) -> None:
        self.code, self.details = code, details


def call_request(
    path: str, metadata: Iterable[tuple[str, str | bytes]], message: Any, peer: str
) -> Request:
    """The call as a ``Request``: binary metadata base64, as it travels; ``message`` is the
    request as JSON (None: not known, as for an unknown method)."""
    headers = tuple(
        (key, value if isinstance(value, str) else base64.b64encode(value).decode())
        for key, value in metadata
    )
    body = b"" if message is None else encode_json(message)
    return Request("POST", path, headers=headers, body=body, client=peer_address(peer))


def peer_address(peer: str) -> tuple[str, int] | None:
    """``ipv4:127.0.0.1:5000`` / ``ipv6:[::1]:5000`` -> (host, port)."""
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    host, _, port = rest.rpartition(":")
    return (host.strip("[]"), int(port)) if port.isdigit() else None


def choose(route: MethodRoute, request: Request) -> CompiledGrpcStub | None:
    """The first stub, in file order, whose conditions all hold."""
    for stub in route.stubs:
        if stub.pattern.test_conditions(request):
            return stub
    return None


def near_miss(route: MethodRoute, request: Request) -> str:
    """Why no stub took the call: the closest stub and its failed checks, in short."""
    method = route.info.key
    if not route.stubs:
        return f"no stub for {method}"
    ranked = sorted(((s.pattern.explain(request), s) for s in route.stubs), key=_distance)
    result, closest = ranked[0]
    checks = "; ".join(
        f"{c.condition}: expected {c.expected}, got {c.actual}" for c in result.failed[:2]
    )
    text = f"no stub of {method} matched; closest {closest.label!r}: {checks}"
    return text if len(text) <= _MAX_DETAILS else text[: _MAX_DETAILS - 1] + "…"


def _distance(pair: tuple[MatchResult, CompiledGrpcStub]) -> float:
    return pair[0].distance


def unknown_method(path: str, known: Sequence[str]) -> str:
    """The status details for a method no served service has."""
    close = difflib.get_close_matches(path, list(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown method {path}{hint}"


def serve_event(call: Call, finished: float) -> ServeEvent:
    """The journal's record of a finished call: the gRPC status in ``decision`` and in the
    response's ``grpc-status`` line, the messages sent as the JSON body (a list for a
    stream)."""
    stub = call.stub
    duration = max(finished - call.started, 0.0)
    event = ServeEvent(
        call.request,
        call.received_at,
        stub.stub if stub is not None else None,
        200,
        call.delay_s,
        False,
        duration,
        ("grpc",),
    )
    status = STATUS_NAMES[call.code]
    decision: dict[str, Any] = {"status": status, "code": call.code, "messages": len(call.sent)}
    headers = [("content-type", "application/grpc"), ("grpc-status", str(call.code))]
    if call.details:
        decision["message"] = call.details
        headers.append(("grpc-message", call.details))
    if stub is not None:
        headers.extend(stub.trailing_metadata)
    event.decision = {"grpc": decision}
    if call.streaming:
        body = encode_json(call.sent)
    else:
        body = encode_json(call.sent[0]) if call.sent else b""
    event.response = Response.build(200, headers, body)
    return event
