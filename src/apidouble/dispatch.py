"""The dispatcher: control paths to the admin plane, ``/oauth2/{name}`` to the mock issuers
the config serves, ``CONNECT`` to the tunnels (``--proxy-mode``), everything else to the
engine.

This is the ``Handler`` the transport serves. The engine knows nothing of control
routes; one string test here keeps them apart, so a stub request pays one prefix check.
Without ``--proxy-mode`` a ``CONNECT`` is a request like any other: a stub may answer it
(a proxy's 407, say), else it gets the near-miss 404 and shows in the journal.
``OverTls`` is the dispatcher as TLS listeners serve it: their requests say ``https``.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from .admin.routes import AdminRoutes
from .auth.plane import PATHS as ISSUER_PATHS
from .engine import Engine
from .model import Request
from .outcome import Outcome, Respond
from .responses import json_response
from .state.store import StateUnavailable

if TYPE_CHECKING:
    from .outcome import Handler
    from .proxy.tunnel import Tunnels

log = logging.getLogger("apidouble")


class Dispatcher:
    """Routes ``/__*`` to the admin routes when they own the path, the rest to the engine."""

    __slots__ = ("engine", "routes", "served", "express", "tunnels", "_engine_handle")

    def __init__(self, engine: Engine, routes: AdminRoutes) -> None:
        self.engine = engine
        self.routes = routes
        self.tunnels: Tunnels | None = None
        """``--proxy-mode``: what answers ``CONNECT`` (None: the engine does)."""
        self._engine_handle = engine.handle
        self.served = engine.served
        """Journals engine outcomes; control answers carry no event and are skipped."""
        self.express = engine.express
        """Its table holds no control path: the transport may answer from it directly."""

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        path = request.path
        if path.startswith("/__"):
            answer = self.routes.handle(request)
            if answer is not None:
                return answer
        elif path.startswith(ISSUER_PATHS):
            issuers = self.engine.config.issuers
            if issuers is not None and issuers.providers:
                response = issuers.handle(request)
                if response is not None:
                    return Respond(response)
        elif self.tunnels is not None and request.method == "CONNECT":
            return self.tunnels.connect(request)
        return self._engine_handle(request)


class TlsRequest(Request):
    """A request that came over TLS (the HTTPS port, a CONNECT tunnel): the same request,
    whose ``scheme`` conditions see ``https``."""

    __slots__ = ()
    scheme = "https"


class OverTls:
    """A handler as a TLS listener serves it: each request is marked ``TlsRequest`` (its
    class changes, nothing is copied) before the handler decides."""

    __slots__ = ("engine", "served", "_handle")

    def __init__(self, inner: Handler) -> None:
        self.engine: Any = getattr(inner, "engine", inner)
        self.served = inner.served
        self._handle = inner.handle

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if type(request) is Request:
            request.__class__ = TlsRequest
        return self._handle(request)


class BridgedDispatcher(Dispatcher):
    """The dispatcher for a remote state store: each request runs on the bridge
    (``state.bridge``), so its state calls wait on the network without blocking the loop.
    The express lane (static stubs, no state) stays outside it. While the store is away,
    a request that needs state is answered 503 with a JSON body saying why."""

    __slots__ = ("_inner", "_run", "_store")

    def __init__(self, engine: Engine, routes: AdminRoutes, store: Any) -> None:
        super().__init__(engine, routes)
        from .state.bridge import run_bridged  # greenlet: only with a remote store

        self._inner = super().handle
        self._run: Any = run_bridged
        self._store = store
        """Its ``retry_after_s`` says when the store is tried again (Retry-After)."""

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        answer = self._run(self._guarded, request)
        if inspect.isawaitable(answer):
            return self._awaited(answer)
        return answer  # type: ignore[no-any-return]

    def _guarded(self, request: Request) -> Outcome | Awaitable[Outcome]:
        try:
            return self._inner(request)
        except StateUnavailable as exc:
            return self._unavailable(exc)

    async def _awaited(self, answer: Awaitable[Outcome]) -> Outcome:
        try:
            return await answer
        except StateUnavailable as exc:
            return self._unavailable(exc)

    def _unavailable(self, exc: StateUnavailable) -> Outcome:
        log.debug("503: %s", exc)  # the circuit logged the outage once, as an error
        retry = float(getattr(self._store, "retry_after_s", 1.0))
        body = {"error": "state store unavailable", "detail": str(exc)}
        response = json_response(503, body)
        seconds = str(max(1, math.ceil(retry)))
        return Respond(response.with_headers([("Retry-After", seconds)]), 0.0, None)
