"""The control routes served next to the stubs: a route table over the ``Admin`` plane.

Routes under ``/__admin/`` plus the seed's aliases ``/__logs`` and ``/__reload``. Requests
here are not journaled. With an admin token set, every route but health asks for it.
Later capabilities (WireMock's admin API, the UI, metrics) add rows to the table.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response
from .api import Admin

Route = Callable[[Request], "Outcome | Awaitable[Outcome]"]

_READ = ("GET", "HEAD")


def _json(status: int, body: Any) -> Respond:
    return Respond(json_response(status, body))


class AdminRoutes:
    """Answers control requests; returns None for paths it does not own."""

    def __init__(self, admin: Admin, token: str | None = None) -> None:
        self.admin = admin
        self.token = token
        self._open: dict[tuple[str, str], Route] = {}
        self._guarded: dict[tuple[str, str], Route] = {}
        self._paths: set[str] = set()
        self.add(_READ, "/__admin/health", self._health, open_=True)
        for path in ("/__logs", "/__admin/logs"):
            self.add(_READ, path, self._logs)
            self.add(("DELETE",), path, self._clear)
            self.add(("POST", "PUT", "PATCH", "OPTIONS"), path, self._logs_method)
        for path in ("/__reload", "/__admin/reload"):
            self.add(("POST",), path, self._reload)
        self.add(("GET",), "/__admin/endpoints", self._endpoints)
        self.add(("POST",), "/__admin/reset", self._reset)

    def add(
        self, methods: tuple[str, ...], path: str, route: Route, *, open_: bool = False
    ) -> None:
        """Serve ``route`` for ``methods`` on ``path``; ``open_`` skips the admin token."""
        table = self._open if open_ else self._guarded
        for method in methods:
            table[(method, path)] = route
        self._paths.add(path)

    def owns(self, path: str) -> bool:
        """Whether ``path`` is a control path (unknown ones under /__admin answer 404)."""
        path = path.rstrip("/") or "/"
        return path in self._paths or path.startswith("/__admin")

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome] | None:
        """The outcome for a control route, or None to let the stubs answer."""
        path = request.path.rstrip("/") or "/"
        if not self.owns(path):
            return None
        key = (request.method, path)
        route = self._open.get(key)
        if route is not None:
            return route(request)
        if not self._authorized(request):
            return _json(401, {"error": "admin token required"})
        route = self._guarded.get(key)
        if route is None:
            return _json(404, {"error": f"no control route {request.method} {request.path}"})
        return route(request)

    def _authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        given = request.header("x-admin-token") or ""
        auth = request.header("authorization") or ""
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return hmac.compare_digest(given.encode(), self.token.encode())

    # --- routes ---------------------------------------------------------------------

    def _health(self, request: Request) -> Outcome:
        return _json(200, self.admin.health())

    def _endpoints(self, request: Request) -> Outcome:
        return _json(200, {"endpoints": self.admin.endpoints()})

    def _logs(self, request: Request) -> Outcome:
        raw = request.query.get("limit", [""])[0]
        if raw and not raw.isdigit():
            return _json(400, {"error": "limit must be a non-negative integer"})
        return _json(200, self.admin.logs(int(raw) if raw else None))

    def _clear(self, request: Request) -> Outcome:
        self.admin.clear_logs()
        return _json(200, {"cleared": True})

    def _logs_method(self, request: Request) -> Outcome:
        return _json(405, {"error": "use GET to read the logs, DELETE to clear them"})

    def _reset(self, request: Request) -> Outcome:
        self.admin.reset()
        return _json(200, {"reset": True})

    async def _reload(self, request: Request) -> Outcome:
        try:
            error = await self.admin.reload()
        except LookupError as exc:
            return _json(409, {"error": str(exc)})
        if error is not None:
            problems = [str(problem) for problem in error.problems]
            body = {"reloaded": False, "kept": "last good config", "errors": problems}
            return _json(400, body)
        return _json(200, {"reloaded": True, "stubs": self.admin.health()["stubs"]})
