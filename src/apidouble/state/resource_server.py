"""A json-server database over HTTP: requests no stub takes, answered by ``Database``.

The engine asks it only for requests that matched no stub (stubs win, as a user who
adds a stub beside a ``db.json`` expects), so a config without a database pays nothing.
Answers are json-server's: its JSON pretty-printed with two spaces, its headers, and
``text/html`` for the errors it throws. ``reset`` brings back the file's data
(``POST /__admin/resources/reset``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from ..behaviours.keys import LruDict
from ..model import INVALID_JSON, Request
from ..outcome import Response
from .resources import TEXT_HTML, Database, Reply

if TYPE_CHECKING:
    from .resource_shared import SharedDatabases

JSON_TYPE = "application/json; charset=utf-8"
MAX_SESSIONS = 1_000
"""Sessions whose databases are kept; the least recently used one starts over."""


class ResourceServer:
    """One database, its initial data, and how a ``Request`` becomes its answer.

    With a ``session`` key (``state_key``), each client that sends one gets a database of
    its own, started from the initial data on its first request (the most recent
    ``MAX_SESSIONS`` are kept); requests without one share the main database.
    """

    __slots__ = ("database", "_initial", "_id_keys", "_session", "_sessions", "_shared")

    def __init__(
        self,
        document: Mapping[str, Any],
        id_keys: Mapping[str, str] | None = None,
        session: Callable[[Request], str] | None = None,
        shared: Callable[[Mapping[str, Any], Mapping[str, str]], SharedDatabases] | None = None,
    ) -> None:
        self._id_keys = dict(id_keys or {})
        self.database = Database(document, id_keys=self._id_keys)
        self._initial = self.database.snapshot()
        self._session = session
        self._sessions: LruDict[str, Database] = LruDict(MAX_SESSIONS)
        self._shared = shared(self._initial, self._id_keys) if shared is not None else None
        """Where the data lives when the state store is Redis (None: here)."""

    def session_of(self, request: Request) -> str:
        return self._session(request) if self._session is not None else ""

    def database_for(self, request: Request) -> Database:
        """The database ``request``'s session reads and writes (in this process)."""
        who = self.session_of(request)
        if not who:
            return self.database
        found = self._sessions.get(who)
        if found is None:
            found = self._sessions[who] = Database(self._initial, id_keys=self._id_keys)
        return found

    def answer(self, request: Request) -> Response | None:
        """json-server's answer, or None when the path names none of the resources."""
        segments = [unquote(part) for part in request.path.split("/")[1:]]
        query = parse_qs(request.query_string, keep_blank_values=True)
        body: Any = None
        if request.body:
            body = request.json
            if body is INVALID_JSON:
                return _json(400, {"error": "the request body is not valid JSON"})
        host = request.header("host") or "localhost"

        def answer(database: Database) -> Reply | None:
            return database.answer(
                request.method, segments, query, body, base_url=f"http://{host}",
                original_url=request.url,
            )  # fmt: skip

        shared = self._shared
        if shared is None:
            reply = answer(self.database_for(request))
        elif self.database.owns(request.method, segments):
            writes = request.method not in ("GET", "HEAD")
            reply = shared.run(self.session_of(request), answer, writes)
        else:
            return None
        if reply is None:
            return None
        if TEXT_HTML in reply.headers:
            return Response.build(reply.status, reply.headers, str(reply.body).encode())
        headers = [("Content-Type", JSON_TYPE), *reply.headers]
        return Response.build(reply.status, headers, _encode(reply.body))

    @property
    def names(self) -> tuple[str, ...]:
        """The resources served, in the file's order."""
        return self.database.resources

    def reset(self) -> None:
        """The file's data again, every write since forgotten (every session's too)."""
        self.database.restore(self._initial)
        self._sessions.clear()
        if self._shared is not None:
            self._shared.reset()


def shared_databases(
    store: object,
) -> Callable[[Mapping[str, Any], Mapping[str, str]], SharedDatabases] | None:
    """How a resource server keeps its data in ``store`` when that is Redis (None: in
    memory, per process)."""
    if not getattr(store, "remote", False):
        return None
    from .redis_store import RedisStore
    from .resource_shared import SharedDatabases

    if not isinstance(store, RedisStore):
        return None
    return lambda initial, id_keys: SharedDatabases(store, initial, id_keys)


def _encode(body: Any) -> bytes:
    return json.dumps(body, indent=2, ensure_ascii=False).encode()


def _json(status: int, body: Any) -> Response:
    return Response.build(status, [("Content-Type", JSON_TYPE)], _encode(body))
