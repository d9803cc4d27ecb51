"""A ``graphql:`` endpoint as the engine serves it: the schema loaded once, at load time,
and each request turned into the service's ``HttpRequest`` and its answer into a ``Response``.

The schema's problems (what a lenient load dropped) are logged once, with file and line;
the operations' facts (name, variables, the stub that answered or the closest miss) go
to the journal through the engine's decision. An upgrade request (the transport opens an
``UpgradeOffer`` for those alone) is answered ``101`` with a ``GraphQLSocket`` left in
the offer: subscriptions and operations over ``graphql-transport-ws`` (``socket``).
A browser's visit gets the GraphiQL page and its files (``graphiql``). ``serve`` also
says when an operation's ``fault`` asks to break the connection; ``answer``, which
cannot, sends that fault as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apidouble.auth.verify import KeySource
from apidouble.behaviours.faults import FaultPlan
from apidouble.graphql import graphiql
from apidouble.graphql.httpspec import HttpRequest
from apidouble.graphql.opauth import OperationAuth
from apidouble.graphql.operations import OperationStub, StubEvent
from apidouble.graphql.schema_load import load_schema
from apidouble.graphql.service import GraphQLService
from apidouble.graphql.socket import GraphQLSocket, SocketSettings, socket_route
from apidouble.graphql.streams import StreamSettings
from apidouble.graphql.trouble import OperationTrouble
from apidouble.model import Request
from apidouble.outcome import Response
from apidouble.realtime.websocket import Hub, upgrade_offer
from apidouble.realtime.ws_rules import DEFAULT_MAX_MESSAGE_BYTES, WebSocketRoute
from apidouble.templating.environment import TemplateEnvironment
from apidouble.templating.requestview import RequestView, auth_view

__all__ = ["GraphQLEndpoint", "Served", "compile_graphql"]

log = logging.getLogger("apidouble.graphql")

_SWITCHING = Response(101, b"", b"")
"""What the journal shows for a connection handed to a ``GraphQLSocket``."""


@dataclass(frozen=True, slots=True)
class Served:
    """What one request to the endpoint gets, for the engine."""

    response: Response
    facts: list[dict[str, Any]] = field(default_factory=list)
    """One journal fact per operation."""
    delay_s: float = 0.0
    """The operations' own delay, on top of the endpoint's."""
    fault: FaultPlan | None = None
    """Break the connection instead of sending ``response`` (an operation's ``fault``)."""


class GraphQLEndpoint:
    """One endpoint's service, and the schema files it read (watched for reloads)."""

    __slots__ = ("files", "service", "route", "socket_settings", "graphiql", "_hub")

    def __init__(
        self,
        service: GraphQLService,
        files: tuple[Path, ...],
        route: WebSocketRoute | None = None,
        socket_settings: SocketSettings | None = None,
        graphiql: bool = False,
    ) -> None:
        self.service = service
        self.files = files
        self.route = route or socket_route("", DEFAULT_MAX_MESSAGE_BYTES)
        self.socket_settings = socket_settings or SocketSettings()
        self.graphiql = graphiql
        """Browsers get the GraphiQL page (``graphiql``) at the path."""
        self._hub: Hub | None = None
        """The sessions' hub when the server offers none (a bare engine)."""

    def answer(
        self, request: Request, params: dict[str, str]
    ) -> tuple[Response, list[dict[str, Any]], float]:
        """The response, one journal fact per operation, and the operations' own delay
        (seconds, on top of the endpoint's). A fault is answered as an error here: a
        caller that can break the connection uses ``serve``."""
        served = self.serve(request, params)
        return served.response, served.facts, served.delay_s

    def serve(self, request: Request, params: dict[str, str]) -> Served:
        """``answer``, with the fault an operation asks for (break the connection after
        ``delay_s`` instead of sending the response, as an endpoint's ``fault`` does)."""
        offer = upgrade_offer()  # None unless the transport serves an upgrade request
        if self.graphiql and offer is None:
            query = request.query
            if names := query.get(graphiql.ASSET_PARAM):
                return Served(graphiql.asset(names[0], request.header("accept-encoding")))
            if graphiql.wants_page(request.method, request.header("accept"), query):
                return Served(graphiql.page(request.path))
        http = HttpRequest(
            request.method,
            request.query,
            {name.lower(): value for name, value in request.headers},
            request.body,
            {"request": RequestView(request, params), "auth": auth_view(request)},
            request,
        )
        if offer is not None and (http.header("upgrade") or "").lower() == "websocket":
            hub = offer.hub
            if hub is None:
                hub = self._hub = self._hub or Hub()
            offer.handler = GraphQLSocket(
                self.service,
                self.route,
                self.socket_settings,
                hub,
                offer.observer,
                self.service.context(http),
            )
            return Served(_SWITCHING)
        answer = self.service.answer(http)
        facts = [
            {
                "operation": fact.name,
                "variables": dict(fact.variables) if fact.variables is not None else None,
                "stub": fact.matched_stub_id,
                **({"near_miss": fact.near_miss} if fact.near_miss else {}),
                **(fact.trouble or {}),
            }
            for fact in answer.operations
        ]
        response = Response.build(answer.status, answer.headers, answer.body)
        return Served(response, facts, answer.delay_s, answer.fault)


def compile_graphql(
    spec: Mapping[str, Any],
    env: TemplateEnvironment,
    issuers: Mapping[str, KeySource] | None = None,
) -> GraphQLEndpoint:
    """Load the schema and build the service; ValueError (file and line) when the schema
    cannot be served at all or a mock names what the schema lacks, or an operation's
    ``auth`` or trouble is wrong. ``issuers`` are the local issuers' keys an operation's
    jwt ``auth`` may name (without them it must give ``jwks``)."""
    files = tuple(Path(name) for name in spec["schema"])
    loaded = load_schema(files)
    for problem in loaded.problems:
        log.warning("graphql schema: %s", problem)
    operations = [
        OperationStub(
            id=entry.get("id") or f"operation-{index}",
            operation_name=entry.get("operation_name"),
            query=entry.get("query"),
            variables=entry.get("variables"),
            data=entry.get("data"),
            errors=entry.get("errors"),
            events=_events(entry.get("events")),
            every_s=float(entry.get("every_ms") or 0) / 1000,
            repeat=_repeat(entry.get("repeat", 1)),
            hold=bool(entry.get("hold")),
            trouble=_trouble(entry, index),
            auth=_auth(entry, index, issuers),
        )
        for index, entry in enumerate(spec.get("operations") or ())
    ]
    service = GraphQLService(
        loaded.schema,
        mocks=spec.get("mocks") or {},
        operations=operations,
        seed=env.seed,
        list_length=int(spec.get("list_length", 2)),
        introspection=bool(spec.get("introspection", True)),
        template_env=env,
    )
    streams = spec.get("subscriptions") or {}
    service.stream_settings = StreamSettings(
        _repeat(streams.get("count", 3)), float(streams.get("every_ms", 1000)) / 1000
    )
    settings = SocketSettings(
        init_timeout_s=float(streams.get("init_timeout_ms", 3000)) / 1000,
        max_subscriptions=int(streams.get("max_subscriptions", 100)),
        connection_params=streams.get("connection_params"),
    )
    size = int(streams.get("max_message_bytes", DEFAULT_MAX_MESSAGE_BYTES))
    route = socket_route(spec.get("path", ""), size)
    page = bool(spec.get("introspection", True)) and bool(spec.get("graphiql", True))
    return GraphQLEndpoint(service, files, route, settings, graphiql=page)


def _trouble(entry: Mapping[str, Any], index: int) -> OperationTrouble | None:
    try:
        return OperationTrouble.from_config(entry)
    except ValueError as exc:
        raise ValueError(f"operation {entry.get('id') or index}: {exc}") from None


def _auth(
    entry: Mapping[str, Any], index: int, issuers: Mapping[str, KeySource] | None
) -> OperationAuth | None:
    if entry.get("auth") is None:
        return None
    try:
        return OperationAuth.from_config(entry["auth"], issuers)
    except ValueError as exc:
        raise ValueError(f"operation {entry.get('id') or index}: {exc}") from None


def _events(given: Any) -> tuple[StubEvent, ...] | None:
    if not given:
        return None
    return tuple(
        StubEvent(
            event.get("data"),
            event.get("errors"),
            None if event.get("delay_ms") is None else float(event["delay_ms"]) / 1000,
        )
        for event in given
    )


def _repeat(given: Any) -> int | None:
    """A count, or None for ``forever``."""
    return None if given == "forever" or given is None else int(given)
