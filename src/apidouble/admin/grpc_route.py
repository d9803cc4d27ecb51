"""``/__admin/grpc/stubs``: the stubs of the ``grpc:`` section, changed at run time.

``GET`` lists every stub served (id, name, method, and whether it was added here), in the
order each method tries them. ``POST`` adds stubs in the config's ``grpc.stubs`` form (one
object, a list, or ``{"stubs": [...]}``), tried before the file's from the next call on
(the newest first, as WireMock does); a stub that does not compile adds none and answers
400 with every problem. ``DELETE`` drops the added stubs. Without a ``grpc:`` section,
every method answers 404. With a persist folder (``SavedGrpcStubs``), what is added is
written there before the answer (and dropped from there too), so a restart that
``restore``s them serves them again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..model import Request
from ..outcome import Outcome, Respond
from ..responses import json_response

if TYPE_CHECKING:
    from ..grpc.saved import SavedGrpcStubs
    from ..grpc.server import GrpcServer

GRPC_STUBS_PATH = "/__admin/grpc/stubs"
METHODS = ("GET", "POST", "DELETE")


class GrpcStubsRoute:
    """Lists, adds and drops gRPC stubs on the server ``server()`` gives (read per request:
    the gRPC server starts after the routes are built)."""

    def __init__(
        self, server: Callable[[], GrpcServer | None], saved: SavedGrpcStubs | None = None
    ) -> None:
        self.server = server
        self.saved = saved

    def __call__(self, request: Request) -> Outcome:
        server = self.server()
        if server is None:
            return _json(404, {"error": "no grpc: section is served"})
        if request.method == "GET":
            return _json(200, {"stubs": server.stubs()})
        if request.method == "DELETE":
            removed = server.remove_added_stubs()
            if self.saved is not None:
                self.saved.clear()
            return _json(200, {"removed": removed})
        status, body = add_stubs(server, request.json, self.saved)
        return _json(status, body)


def add_stubs(
    server: GrpcServer, body: Any, saved: SavedGrpcStubs | None = None
) -> tuple[int, dict[str, Any]]:
    """What ``POST`` answers for ``body``: 201 and the ids added (kept in ``saved`` first,
    if given), or 400 and why not."""
    if isinstance(body, dict) and set(body) == {"stubs"}:
        body = body["stubs"]
    stubs = [body] if isinstance(body, dict) else body
    if not isinstance(stubs, list) or not stubs or not all(isinstance(s, dict) for s in stubs):
        return 400, {"error": 'send a stub object, a list of them, or {"stubs": [...]}'}
    try:
        added = server.add_stubs(stubs)
    except ConfigError as exc:
        problems = [
            {"message": p.message, "pointer": p.pointer, "stub": p.stub} for p in exc.problems
        ]
        return 400, {"error": "no stub added", "problems": problems}
    ids = [stub.stub.id for stub in added]
    if saved is not None:
        try:
            saved.save(list(zip(ids, stubs, strict=True)))
        except OSError as exc:  # served, but a restart would lose them: say so
            return 500, {"error": f"added, but not saved: {exc}", "added": ids}
    return 201, {"added": ids}


def _json(status: int, body: Any) -> Outcome:
    return Respond(json_response(status, body))
