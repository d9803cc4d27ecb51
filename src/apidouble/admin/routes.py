"""The control routes served next to the stubs: a route table over the ``Admin`` plane.

Routes under ``/__admin/`` plus the seed's aliases ``/__logs`` and ``/__reload``. Requests
here are not journaled. With an admin token set, every route asks for it (a 401 with
``WWW-Authenticate``), but ``/__admin/health`` answers its status without one, for
liveness probes, and its details only with it. Later capabilities add rows to the table.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote

from ..errors import ConfigError
from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response
from .api import Admin
from .import_route import IMPORT_PATH, BadBody, ImportRoute, answer, problems, read_body
from .mcp_route import MCP_METHODS, MCP_PATH, McpRoute
from .openapi_route import add_openapi_route
from .wiremock_nearmiss_routes import add_near_miss_routes
from .wiremock_routes import add_wiremock_routes, whole_number
from .writes import DuplicateEndpoint

Route = Callable[[Request], "Outcome | Awaitable[Outcome]"]
ParamRoute = Callable[[Request, Mapping[str, str]], "Outcome | Awaitable[Outcome]"]
"""A route on a path template (``/__admin/mappings/{id}``), given the path's parameters."""

_READ = ("GET", "HEAD")
HITS_PATH = "/__admin/ui/hits"
_ONE = "/endpoints/0"
"""Where a single endpoint's problems point (it is loaded as a one-entry list)."""


def _json(status: int, body: Any) -> Respond:
    return Respond(json_response(status, body))


_UNAUTHORIZED = Respond(
    json_response(401, {"error": "admin token required"}).with_headers(
        [("WWW-Authenticate", 'Bearer realm="apidouble admin"')]
    )
)


class AdminRoutes:
    """Answers control requests; returns None for paths it does not own."""

    def __init__(
        self,
        admin: Admin,
        token: str | None = None,
        shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.admin = admin
        self.token = token
        self.shutdown = shutdown
        """Asks the server to stop (``POST /__admin/shutdown``); None: it cannot."""
        self._open: dict[tuple[str, str], Route] = {}
        self._guarded: dict[tuple[str, str], Route] = {}
        self._paths: set[str] = set()
        self._templates: dict[tuple[str, int], list[tuple[tuple[str, ...], ParamRoute]]] = {}
        """Guarded template routes by method and segment count: looked at only when no
        exact path answers, so the exact lookups cost what they did."""
        self.add(_READ, "/__admin/health", self._health, open_=True)
        for path in ("/__logs", "/__admin/logs"):
            self.add(_READ, path, self._logs)
            self.add(("DELETE",), path, self._clear)
            self.add(("POST", "PUT", "PATCH", "OPTIONS"), path, self._logs_method)
        for path in ("/__reload", "/__admin/reload"):
            self.add(("POST",), path, self._reload)
        self.add(("GET",), "/__admin/endpoints", self._endpoints)
        self.add(("POST",), "/__admin/endpoints", self._create_endpoint)
        self.add_template(("GET",), "/__admin/endpoints/{id}", self._endpoint)
        self.add_template(("PUT",), "/__admin/endpoints/{id}", self._replace_endpoint)
        self.add_template(("DELETE",), "/__admin/endpoints/{id}", self._delete_endpoint)
        self.add_template(("POST",), "/__admin/endpoints/{id}/disable", self._disable)
        self.add_template(("POST",), "/__admin/endpoints/{id}/enable", self._enable)
        self.add(("POST",), IMPORT_PATH, ImportRoute(admin))
        self.add(("GET",), HITS_PATH, self._hits)
        self.add(("GET",), "/__admin/resources", self._resources)
        self.add(("POST",), "/__admin/reset", self._reset)
        self.add(("POST",), "/__admin/shutdown", self._shutdown)
        add_wiremock_routes(self)
        add_near_miss_routes(self)
        add_openapi_route(self)
        self.add(MCP_METHODS, MCP_PATH, McpRoute(self))

    def add(
        self, methods: tuple[str, ...], path: str, route: Route, *, open_: bool = False
    ) -> None:
        """Serve ``route`` for ``methods`` on ``path``; ``open_`` skips the admin token."""
        table = self._open if open_ else self._guarded
        for method in methods:
            table[(method, path)] = route
        self._paths.add(path)

    def add_template(self, methods: tuple[str, ...], template: str, route: ParamRoute) -> None:
        """Serve ``route`` on paths like ``template``, whose ``{name}`` segments match any
        one non-empty segment (percent-decoded); exact paths added with ``add`` win."""
        segments = tuple(template.split("/"))
        for method in methods:
            self._templates.setdefault((method, len(segments)), []).append((segments, route))

    def _template(self, request: Request, path: str) -> Outcome | Awaitable[Outcome] | None:
        segments = path.split("/")
        for template, route in self._templates.get((request.method, len(segments)), ()):
            params: dict[str, str] = {}
            for want, got in zip(template, segments, strict=True):
                if want.startswith("{") and want.endswith("}") and got:
                    params[want[1:-1]] = unquote(got)
                elif want != got:
                    break
            else:
                return route(request, params)
        return None

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
            return _UNAUTHORIZED
        route = self._guarded.get(key)
        if route is None:
            answer = self._template(request, path) if self._templates else None
            if answer is not None:
                return answer
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
        health = self.admin.health()
        if not self._authorized(request):
            return _json(200, {"status": health["status"]})
        return _json(200, health)

    def _endpoints(self, request: Request) -> Outcome:
        return answer(request, 200, {"endpoints": self.admin.endpoints()})

    def _hits(self, request: Request) -> Outcome:
        return _json(200, {"hits": self.admin.hits()})

    def _resources(self, request: Request) -> Outcome:
        return _json(200, {"resources": self.admin.resources()})

    def _logs(self, request: Request) -> Outcome:
        raw = request.query.get("limit", [""])[0]
        limit = whole_number(raw) if raw else None
        if raw and limit is None:
            return _json(400, {"error": "limit must be a non-negative integer"})
        return _json(200, self.admin.logs(limit))

    def _clear(self, request: Request) -> Outcome:
        self.admin.clear_logs()
        return _json(200, {"cleared": True})

    def _logs_method(self, request: Request) -> Outcome:
        return _json(405, {"error": "use GET to read the logs, DELETE to clear them"})

    def _shutdown(self, request: Request) -> Outcome:
        if self.shutdown is None:
            return _json(409, {"error": "this server is stopped by its owner, not over HTTP"})
        asyncio.get_running_loop().call_soon(self.shutdown)  # after this answer is written
        return _json(200, {"shutdown": True})

    async def _reset(self, request: Request) -> Outcome:
        try:
            await self.admin.reset_all()
        except OSError as exc:
            return _json(500, {"error": f"the runtime stubs could not be reset: {exc}"})
        return _json(200, {"reset": True})

    # --- native endpoints (runtime stubs, persisted as WireMock mappings are) ---------

    def _endpoint(self, request: Request, params: Mapping[str, str]) -> Outcome:
        found = self.admin.endpoint(params["id"])
        if found is None:
            return _json(404, {"error": f"no stub with id {params['id']!r}"})
        return answer(request, 200, found)

    async def _create_endpoint(self, request: Request) -> Outcome:
        return await self._write_endpoint(request, None)

    async def _replace_endpoint(self, request: Request, params: Mapping[str, str]) -> Outcome:
        return await self._write_endpoint(request, params["id"])

    async def _write_endpoint(self, request: Request, stub_id: str | None) -> Outcome:
        try:
            document, lines = read_body(request)
        except BadBody as exc:
            return exc.answer()
        try:
            if stub_id is None:
                return answer(request, 201, await self.admin.create_endpoint(document))
            found = await self.admin.replace_endpoint(stub_id, document)
        except ConfigError as exc:
            body = {"error": "invalid endpoint", "problems": problems(exc, lines, _ONE)}
            return _json(422, body)
        except (TypeError, ValueError) as exc:  # not an object; a duplicate id
            return _json(409 if isinstance(exc, DuplicateEndpoint) else 422, {"error": str(exc)})
        except OSError as exc:
            return _json(500, {"error": f"the stub could not be written to disk: {exc}"})
        if found is None:
            return _json(404, {"error": f"no stub with id {stub_id!r}"})
        return answer(request, 200, found)

    async def _disable(self, request: Request, params: Mapping[str, str]) -> Outcome:
        return await self._switch(request, params["id"], True)

    async def _enable(self, request: Request, params: Mapping[str, str]) -> Outcome:
        return await self._switch(request, params["id"], False)

    async def _switch(self, request: Request, stub_id: str, disabled: bool) -> Outcome:
        try:
            found = await self.admin.set_disabled(stub_id, disabled)
        except OSError as exc:
            return _json(500, {"error": f"the stub file could not be written: {exc}"})
        if found is None:
            return _json(404, {"error": f"no stub with id {stub_id!r}"})
        return _json(200, found)

    async def _delete_endpoint(self, request: Request, params: Mapping[str, str]) -> Outcome:
        try:
            deleted = await self.admin.delete_endpoint(params["id"])
        except OSError as exc:
            return _json(500, {"error": f"the stub file could not be removed: {exc}"})
        if not deleted:
            return _json(404, {"error": f"no stub with id {params['id']!r}"})
        return _json(200, {"deleted": params["id"]})

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
