"""Helpers for the realtime tests: a handler that upgrades the paths of some routes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from apidouble.model import Request
from apidouble.outcome import Outcome, Response, Upgrade
from apidouble.realtime import Hub, WebSocketRoute, WebSocketUpgrade, compile_websocket
from apidouble.realtime.ws_session import Observer
from apidouble.templating import TemplateEnvironment
from apidouble.transport.server import HttpServer

from ..transport import TestHandler, serving

SWITCHED = Response(101, b"", b"")


class Events:
    """An observer that keeps every (kind, session id, data) it is told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any], str | bytes | None]] = []

    def __call__(self, kind: str, info: dict[str, Any], data: str | bytes | None) -> None:
        self.seen.append((kind, info, data))

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.seen]


class WsHandler(TestHandler):
    """Upgrades a request whose path matches one route template (``/ws/chat/{room}``);
    everything else is ``TestHandler``'s. The router's job, done by hand."""

    __test__ = False

    def __init__(self, routes: Mapping[str, WebSocketRoute], observer: Observer | None) -> None:
        super().__init__()
        self.hub = Hub()
        self.observer = observer
        self.routes = [(_pattern(template), route) for template, route in routes.items()]

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        for pattern, route in self.routes:
            found = pattern.fullmatch(request.path)
            if found is not None:
                self.requests.append(request)
                upgrade = WebSocketUpgrade(route, self.hub, found.groupdict(), self.observer)
                return Upgrade(upgrade, request, response=SWITCHED)
        return super().handle(request)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


@asynccontextmanager
async def websocket_server(
    entries: Mapping[str, Mapping[str, Any]], observer: Observer | None = None
) -> AsyncIterator[tuple[HttpServer, WsHandler]]:
    """A server upgrading each entry's path (the key) to its compiled route."""
    env = TemplateEnvironment(seed=1)
    routes = {
        path: compile_websocket({"path": path, **entry}, env) for path, entry in entries.items()
    }
    async with serving(WsHandler(routes, observer)) as (server, handler):
        assert isinstance(handler, WsHandler)
        yield server, handler


def url(server: HttpServer, path: str) -> str:
    return f"ws://{server.host}:{server.port}{path}"
