"""The dispatcher: control paths to the admin plane, everything else to the engine.

This is the ``Handler`` the transport serves. The engine knows nothing of control
routes; one string test here keeps them apart, so a stub request pays one prefix check.
"""

from __future__ import annotations

from collections.abc import Awaitable

from .admin.routes import AdminRoutes
from .engine import Engine
from .model import Request
from .outcome import Outcome


class Dispatcher:
    """Routes ``/__*`` to the admin routes when they own the path, the rest to the engine."""

    __slots__ = ("engine", "routes", "served", "express", "_engine_handle")

    def __init__(self, engine: Engine, routes: AdminRoutes) -> None:
        self.engine = engine
        self.routes = routes
        self._engine_handle = engine.handle
        self.served = engine.served
        """Journals engine outcomes; control answers carry no event and are skipped."""
        self.express = engine.express
        """Its table holds no control path: the transport may answer from it directly."""

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome]:
        if request.path.startswith("/__"):
            answer = self.routes.handle(request)
            if answer is not None:
                return answer
        return self._engine_handle(request)
