"""A json-server database over HTTP: requests no stub takes, answered by ``Database``.

The engine asks it only for requests that matched no stub (stubs win, as a user who
adds a stub beside a ``db.json`` expects), so a config without a database pays nothing.
Answers are json-server's: its JSON pretty-printed with two spaces, its headers, and
``text/html`` for the errors it throws. ``reset`` brings back the file's data
(``POST /__admin/resources/reset``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from ..model import INVALID_JSON, Request
from ..outcome import Response
from .resources import TEXT_HTML, Database

JSON_TYPE = "application/json; charset=utf-8"


class ResourceServer:
    """One database, its initial data, and how a ``Request`` becomes its answer."""

    __slots__ = ("database", "_initial")

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.database = Database(document)
        self._initial = self.database.snapshot()

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
        reply = self.database.answer(
            request.method, segments, query, body, base_url=f"http://{host}",
            original_url=request.url,
        )  # fmt: skip
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
        """The file's data again, every write since forgotten."""
        self.database.restore(self._initial)


def _encode(body: Any) -> bytes:
    return json.dumps(body, indent=2, ensure_ascii=False).encode()


def _json(status: int, body: Any) -> Response:
    return Response.build(status, [("Content-Type", JSON_TYPE)], _encode(body))
