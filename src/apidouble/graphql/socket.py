"""GraphQL over WebSocket: the ``graphql-transport-ws`` protocol on a ``graphql:`` path.

``GraphQLSocket`` is the upgrade handler an endpoint leaves in the transport's
``UpgradeOffer``; ``GraphQLSession`` is the WebSocket layer's ``Session`` (handshake,
framing, size cap, backpressure, timers, the hub and the message log) with the
protocol's rules in place of ``on_message`` rules:

- ``connection_init`` within ``init_timeout_s`` (else 4408), once (again: 4429), holding
  ``connection_params`` when the endpoint asks for some (else 4403); ``connection_ack``;
- ``subscribe`` before the ack closes with 4401, an id already running with 4409, a
  message that is not the protocol's with 4400; our own failure closes with 4500;
- each operation is validated like a query; refused, it gets ``error``; else its
  ``Stream`` plays as ``next`` messages then ``complete`` (a query or mutation: one);
  the client's ``complete`` stops it; at most ``max_subscriptions`` run at once (one
  more gets ``error``);
- ``ping`` gets ``pong``; each started operation is in the message log as a ``subscribe``
  event with its journal facts;
- an operation whose stub has a ``fault`` breaks the connection as an endpoint's fault
  breaks an HTTP one (``transport.sabotage``), after the stub's latency.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..behaviours.faults import FaultPlan
from ..model import Request
from ..realtime.websocket import Hub, open_session
from ..realtime.ws_rules import WebSocketRoute
from ..realtime.ws_session import Observer, Session
from ..transport.sabotage import carry_out_fault
from .httpspec import GraphQLParams
from .operations import _contains
from .service import GraphQLService
from .streams import Stream
from .wsprotocol import (
    DUPLICATE_ID,
    FORBIDDEN,
    INIT_TIMEOUT,
    INTERNAL_ERROR,
    SUBPROTOCOL,
    TOO_MANY_INITS,
    UNAUTHORIZED,
    ClientMessage,
    Violation,
    encode,
    read_message,
)

__all__ = ["GraphQLSession", "GraphQLSocket", "SocketSettings", "socket_route"]

_log = logging.getLogger("apidouble.graphql")
_HELD_S = 0.05
"""How long an event waits before trying again while the client is not reading."""


@dataclass(frozen=True, slots=True)
class SocketSettings:
    """An endpoint's socket limits and what ``connection_init`` must carry."""

    init_timeout_s: float = 3.0
    max_subscriptions: int = 100
    connection_params: Mapping[str, Any] | None = None
    """A partial match of the ``connection_init`` payload (None: anything)."""


def socket_route(path: str, max_message_bytes: int) -> WebSocketRoute:
    """The WebSocket layer's route for a GraphQL path: the subprotocol and the size cap,
    no rules or timers of its own."""
    return WebSocketRoute(
        path=path,
        subprotocols=(SUBPROTOCOL,),
        on_connect=None,
        rules=(),
        every=None,
        sequence=(),
        repeat=None,
        broadcast=False,
        max_message_bytes=max_message_bytes,
        idle_timeout_s=None,
        compression=True,
    )


class GraphQLSocket:
    """The ``UpgradeHandler`` for one upgrade request to a GraphQL path."""

    __slots__ = ("service", "route", "settings", "hub", "observer", "context")

    def __init__(
        self,
        service: GraphQLService,
        route: WebSocketRoute,
        settings: SocketSettings,
        hub: Hub,
        observer: Observer | None,
        context: dict[str, Any],
    ) -> None:
        self.service = service
        self.route = route
        self.settings = settings
        self.hub = hub
        self.observer = observer
        self.context = context
        """Template names for mocks: the upgrade request's view, its auth."""

    def take_over(
        self, transport: asyncio.Transport, request: Request, leftover: bytes
    ) -> asyncio.Protocol:
        """Answer the handshake and return the session; never raises."""
        return open_session(
            lambda: GraphQLSession(self, request, transport), transport, request, leftover
        )


class GraphQLSession(Session):
    """One ``graphql-transport-ws`` connection."""

    def __init__(self, socket: GraphQLSocket, request: Request, transport: asyncio.Transport):
        super().__init__(socket.route, socket.hub, request, {}, transport, socket.observer)
        self.socket = socket
        self.initialised = self.acked = False
        self.streams: dict[str, Stream] = {}
        """The operations running, by the client's id."""
        self.fields: dict[str, str] = {}
        """The running subscriptions' root fields, by id (what ``publish`` names)."""

    def start(self, leftover: bytes) -> None:
        self._arm("init", self.socket.settings.init_timeout_s, self._init_timeout)
        super().start(leftover)

    def connection_lost(self, exc: Exception | None) -> None:
        self.streams.clear()
        self.fields.clear()
        super().connection_lost(exc)

    # --- the protocol ----------------------------------------------------------------

    def _decide(self, payload: bytes, binary: bool) -> None:
        """One message from the client (in place of the ``on_message`` rules)."""
        try:
            self._receive(read_message(payload, binary))
        except Violation as violation:
            self.close(violation.code, violation.reason)
        except Exception:
            _log.exception("graphql socket %s: a message failed", self.path)
            self.close(INTERNAL_ERROR, "Internal server error")

    def _receive(self, message: ClientMessage) -> None:
        kind = message.type
        if kind == "connection_init":
            self._init(message.payload)
        elif kind == "ping":
            self._send("pong")
        elif kind == "subscribe":
            if not self.acked:
                raise Violation(UNAUTHORIZED, "Unauthorized")
            assert message.id is not None
            if message.id in self.streams:
                raise Violation(DUPLICATE_ID, f"Subscriber for {message.id} already exists")
            self._subscribe(message.id, message.payload)
        elif kind == "complete":
            assert message.id is not None
            if self.streams.pop(message.id, None) is not None:
                self.fields.pop(message.id, None)
                self._disarm(("op", message.id))
        # pong: nothing to do

    def _init(self, payload: Any) -> None:
        if self.initialised:
            raise Violation(TOO_MANY_INITS, "Too many initialisation requests")
        self.initialised = True
        self._disarm("init")
        wanted = self.socket.settings.connection_params
        if wanted is not None and not _contains(wanted, payload or {}):
            raise Violation(FORBIDDEN, "Forbidden")
        self.acked = True
        self._send("connection_ack")

    def _init_timeout(self) -> None:
        if not self.initialised:
            self.close(INIT_TIMEOUT, "Connection initialisation timeout")

    def _subscribe(self, ident: str, payload: Mapping[str, Any]) -> None:
        settings = self.socket.settings
        if len(self.streams) >= settings.max_subscriptions:
            limit = settings.max_subscriptions
            message = f"too many operations on this connection (at most {limit} at once)"
            self._send("error", ident, [{"message": message}])
            return
        params = GraphQLParams(
            payload["query"],
            payload.get("operationName"),
            payload.get("variables"),
            payload.get("extensions"),
        )
        answer = self.socket.service.over_socket(params, self.socket.context, self.request)
        facts = answer.facts
        self._emit(
            "subscribe",
            self.info(),
            json.dumps(
                {
                    "id": ident,
                    "operation": facts.name if facts else params.operation_name,
                    "variables": dict(facts.variables or {}) if facts else params.variables,
                    "stub": facts.matched_stub_id if facts else None,
                    **({"near_miss": facts.near_miss} if facts and facts.near_miss else {}),
                    **((facts.trouble or {}) if facts else {}),
                    **({"errors": answer.errors} if answer.errors else {}),
                },
                default=str,
            ),
        )
        if answer.fault is not None:
            self._arm(("op", ident), answer.fault_delay_s, self._break, answer.fault)
            return
        if answer.stream is None:
            self._send("error", ident, answer.errors)
            return
        self.streams[ident] = answer.stream
        if answer.field is not None:
            self.fields[ident] = answer.field
        self._next(ident)

    def _break(self, plan: FaultPlan) -> None:
        """An operation's fault: the connection ends as an endpoint's fault ends it (its
        bytes, then an RST or a FIN, at once or after the hold), no close frame, nothing
        more sent or read."""
        if self.finished:
            return
        self.finished = True
        self._cancel_timers()
        self.streams.clear()
        self.fields.clear()
        if not self.transport.is_closing():
            self.transport.pause_reading()
        carry_out_fault(plan, self.transport, self.loop)

    def _next(self, ident: str) -> None:
        """Draw the operation's next event and time it; ``complete`` when it is done."""
        stream = self.streams.get(ident)
        if stream is None:
            return
        event = stream.next_event()
        if event is None:
            if not stream.holds:  # a held one waits for published events, or the client
                self._end(ident)
            return
        delay, result = event
        self._arm(("op", ident), delay, self._deliver, ident, result)

    def _deliver(self, ident: str, result: dict[str, Any]) -> None:
        if ident not in self.streams or self.finished:
            return
        if self._paused:  # the client is not reading: the event waits, nothing piles up
            self._arm(("op", ident), _HELD_S, self._deliver, ident, result)
            return
        self._send("next", ident, result)
        self._next(ident)

    def publish(self, field: str | None, payload: Mapping[str, Any] | None, complete: bool) -> int:
        """An event from the admin API to each subscription running here on ``field``
        (every one when None): a ``next`` with ``payload`` when given, then ``complete``
        when asked. A ``next`` is dropped while the client is not reading, as any push
        from elsewhere is. How many subscriptions it reached."""
        if self.finished:
            return 0
        reached = 0
        for ident in [i for i in self.streams if i in self.fields]:
            if field is not None and self.fields[ident] != field:
                continue
            sent = True
            if payload is not None:
                frame = (False, encode("next", ident, dict(payload)))
                sent = self.push([frame], own=False)
            if complete:
                self._disarm(("op", ident))
                self._end(ident)
            if sent or complete:
                reached += 1
        return reached

    def _end(self, ident: str) -> None:
        del self.streams[ident]
        self.fields.pop(ident, None)
        self._send("complete", ident)

    def _send(self, kind: str, ident: str | None = None, payload: Any = None) -> None:
        self.push([(False, encode(kind, ident, payload))], own=True)

    def _disarm(self, key: object) -> None:
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()
