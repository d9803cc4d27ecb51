"""Serve time, without sockets: one call -> the stub that answers it, the near-miss text
when none does, and the journal's record of it.

A call is seen as the HTTP request gRPC sends (``POST /package.Service/Method``, metadata
as headers, the request message as a JSON body; a client stream's body is the list of
its messages), so the stubs' compiled patterns test and explain it as they would any
request, and the journal keeps it beside the HTTP exchanges, with every streamed message
in order (``decision.grpc.events``).
"""

from __future__ import annotations

import base64
import difflib
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apidouble.config.grpc import STATUS_NAMES
from apidouble.grpc.stubs import CompiledGrpcStub, MethodRoute, encode_json
from apidouble.matching.result import MatchResult
from apidouble.model import Request, ServeEvent
from apidouble.outcome import Response

OK, CANCELLED, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 1, 3, 4, 5
RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL = 8, 12, 13

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
    answer: bytes | None = None
    """A unary answer's JSON bytes, made at load time."""
    streaming: bool = False
    """The server streams (the journal keeps the list of messages sent)."""
    request_streaming: bool = False
    delay_s: float = 0.0
    recorded: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    """Every streamed message, in order: ``{"in"|"out": message, "at_ms"}`` (a bidi
    message no rule answered has ``"rule": null``)."""
    trouble: dict[str, Any] = field(default_factory=dict)
    """What the trouble settings decided (latency, failure, fault, rate limit)."""
    deadline_s: float | None = None
    struck: bool = False
    """The stub's fault has struck (it strikes once)."""
    details_sent: tuple[dict[str, Any], ...] = ()
    """The rich error details the status went with."""

    def end(self, code: int, details: str | None = None) -> None:
        self.code, self.details = code, details

    def note(self, direction: str, message: dict[str, Any], now: float, **more: Any) -> None:
        """One streamed message, for the journal."""
        at = round((now - self.started) * 1000.0, 3)
        self.events.append({direction: message, "at_ms": at, **more})


def call_request(
    path: str,
    metadata: Iterable[tuple[str, str | bytes]],
    message: Any,
    peer: str,
    body: bytes | None = None,
) -> Request:
    """The call as a ``Request``: binary metadata base64, as it travels; ``message`` is the
    request as JSON (None: not known, as for an unknown method), ``body`` its JSON bytes
    when they are known already."""
    headers = tuple(
        (key, value if isinstance(value, str) else base64.b64encode(value).decode())
        for key, value in metadata
    )
    if body is None:
        body = b"" if message is None else encode_json(message)
    return Request("POST", path, headers=headers, body=body, client=peer_address(peer))


@functools.lru_cache(maxsize=256)  # one peer string per connection, seen on every call
def peer_address(peer: str) -> tuple[str, int] | None:
    """``ipv4:127.0.0.1:5000`` / ``ipv6:[::1]:5000`` -> (host, port)."""
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    host, _, port = rest.rpartition(":")
    return (host.strip("[]"), int(port)) if port.isdigit() else None


def message_request(request: Request, message: dict[str, Any]) -> Request:
    """One message of a stream as a request of its own (the call's metadata, the message
    as the body), for ``match.each`` and the ``on_message`` rules."""
    return request.replace(body=encode_json(message))


def choose(
    route: MethodRoute, request: Request, parts: Sequence[Request] = ()
) -> CompiledGrpcStub | None:
    """The first stub, in order, whose conditions all hold (a client stream's ``each``:
    on every message of ``parts``)."""
    for stub in route.stubs:
        if stub.pattern.test_conditions(request) and _each_holds(stub, parts):
            return stub
    return None


def _each_holds(stub: CompiledGrpcStub, parts: Sequence[Request]) -> bool:
    each = stub.each
    return each is None or all(each.test_conditions(part) for part in parts)


def near_miss(route: MethodRoute, request: Request, parts: Sequence[Request] = ()) -> str:
    """Why no stub took the call: the closest stub and its failed checks, in short."""
    method = route.info.key
    if not route.stubs:
        return f"no stub for {method}"
    ranked = sorted(((s.pattern.explain(request), s) for s in route.stubs), key=_distance)
    result, closest = ranked[0]
    checks = "; ".join(
        f"{c.condition}: expected {c.expected}, got {c.actual}" for c in result.failed[:2]
    )
    if not checks and closest.each is not None:
        for number, part in enumerate(parts):
            failed = closest.each.explain(part).failed
            if failed:
                check = failed[0]
                checks = f"message {number}: {check.condition}: expected {check.expected},"
                checks += f" got {check.actual}"
                break
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
    answered = stub.answered if stub is not None else None
    if answered is not None and call.code == OK and _plain(call):
        made, event.response = answered  # made at load time: shared, never changed
        if call.deadline_s is not None:
            ms = round(call.deadline_s * 1000.0, 3)
            made = {"grpc": {**made["grpc"], "deadline_ms": ms}}
        event.decision = made
        return event
    status = STATUS_NAMES[call.code]
    decision: dict[str, Any] = {"status": status, "code": call.code, "messages": len(call.sent)}
    if call.request_streaming:
        decision["received"] = len(call.received)
    if call.events:
        decision["events"] = call.events
    if call.deadline_s is not None:
        decision["deadline_ms"] = round(call.deadline_s * 1000.0, 3)
    decision.update(call.trouble)
    headers = [("content-type", "application/grpc"), ("grpc-status", str(call.code))]
    if call.details_sent:
        decision["details"] = list(call.details_sent)
    if call.details:
        decision["message"] = call.details
        headers.append(("grpc-message", call.details))
    if stub is not None:
        headers.extend(stub.trailing_metadata)
    event.decision = {"grpc": decision}
    if call.streaming:
        body = encode_json(call.sent)
    else:
        body = call.answer if call.answer is not None else b""
    event.response = Response.build(200, headers, body)
    return event


def _plain(call: Call) -> bool:
    """A unary call that sent its stub's static answer, with nothing else to note."""
    return not (call.streaming or call.request_streaming or call.trouble or call.details)
