"""The control routes served next to the stubs: logs, reload, health, endpoints.

Routes under ``/__admin/`` plus the seed's aliases ``/__logs`` and ``/__reload``. Requests
here are not journaled. With an admin token set, every route but health asks for it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response

if TYPE_CHECKING:
    from ..engine import Engine
    from ..errors import ConfigError

ReloadFn = Callable[[], Awaitable["ConfigError | None"]]

_LOGS = frozenset({"/__logs", "/__admin/logs"})
_RELOAD = frozenset({"/__reload", "/__admin/reload"})
_HEALTH = "/__admin/health"
_ENDPOINTS = "/__admin/endpoints"


def _problems(error: ConfigError) -> list[str]:
    return [str(problem) for problem in error.problems]


class ControlRoutes:
    """Answers control requests; returns None for paths it does not own."""

    def __init__(
        self, engine: Engine, reload: ReloadFn | None = None, token: str | None = None
    ) -> None:
        self.engine = engine
        self.reload = reload
        self.token = token
        self.last_error: ConfigError | None = None

    def _json(self, status: int, body: Any) -> Respond:
        return Respond(json_response(status, body))

    def _authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        given = request.header("x-admin-token") or ""
        auth = request.header("authorization") or ""
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return hmac.compare_digest(given.encode(), self.token.encode())

    def handle(self, request: Request) -> Outcome | Awaitable[Outcome] | None:
        """The outcome for a control route, or None to let the stubs answer."""
        path = request.path.rstrip("/") or "/"
        owned = path in _LOGS or path in _RELOAD or path.startswith("/__admin")
        if not owned:
            return None
        if path == _HEALTH and request.method in ("GET", "HEAD"):
            return self._json(200, self.health())
        if not self._authorized(request):
            return self._json(401, {"error": "admin token required"})
        method = request.method
        if path in _LOGS:
            return self._logs(request) if method in ("GET", "HEAD") else self._clear(method)
        if path in _RELOAD and method == "POST":
            return self._reload()
        if path == _ENDPOINTS and method == "GET":
            return self._json(200, {"endpoints": self.endpoints()})
        return self._json(404, {"error": f"no control route {method} {request.path}"})

    def _logs(self, request: Request) -> Respond:
        raw = request.query.get("limit", [""])[0]
        if raw and not raw.isdigit():
            return self._json(400, {"error": "limit must be a non-negative integer"})
        journal = self.engine.journal
        entries = journal.newest(int(raw) if raw else None)
        return self._json(200, {"total": len(journal), "logs": entries})

    def _clear(self, method: str) -> Respond:
        if method != "DELETE":
            return self._json(405, {"error": "use GET to read the logs, DELETE to clear them"})
        self.engine.journal.clear()
        return self._json(200, {"cleared": True})

    async def _reload(self) -> Outcome:
        if self.reload is None:
            return self._json(409, {"error": "this server has no config files to reload"})
        error = await self.reload()
        if error is not None:
            body = {"reloaded": False, "kept": "last good config", "errors": _problems(error)}
            return self._json(400, body)
        return self._json(200, {"reloaded": True, "stubs": len(self.engine.config.stubs)})

    def health(self) -> dict[str, Any]:
        """Serving state; ``degraded`` while the last reload failed."""
        body: dict[str, Any] = {
            "status": "degraded" if self.last_error else "healthy",
            "stubs": len(self.engine.config.stubs),
            "journal": {
                "entries": len(self.engine.journal),
                "bytes": self.engine.journal.size_bytes,
            },
        }
        if self.last_error is not None:
            body["errors"] = _problems(self.last_error)
        return body

    def endpoints(self) -> list[dict[str, Any]]:
        """The served stubs, with where each was defined."""
        return [
            {
                "id": compiled.stub.id,
                "name": compiled.stub.label,
                "methods": sorted(compiled.stub.pattern.methods) or ["ANY"],
                "path": compiled.stub.pattern.path or compiled.stub.pattern.path_regex,
                "source": {
                    "file": compiled.stub.source.file,
                    "line": compiled.stub.source.line,
                    "pointer": compiled.stub.source.pointer,
                },
            }
            for compiled in self.engine.config.stubs.values()
        ]
