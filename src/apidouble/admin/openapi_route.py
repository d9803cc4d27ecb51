"""``GET /__admin/openapi.json``: the admin API's OpenAPI 3.1 document, as shipped.

The document is package data (``openapi.json`` beside this module, read with
``importlib.resources`` so it is found in a wheel too). It is parsed and encoded once per
process, on the first request for it: a server that is never asked pays nothing.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from ..model import Request
from ..outcome import Outcome, Respond, Response

if TYPE_CHECKING:
    from .routes import AdminRoutes

OPENAPI_PATH = "/__admin/openapi.json"


def load_document() -> dict[str, Any]:
    """The admin API's OpenAPI document (a fresh copy, for tools and tests)."""
    text = files(__package__ or "apidouble.admin").joinpath("openapi.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def _answer() -> Respond:
    body = json.dumps(load_document(), separators=(",", ":"), ensure_ascii=False).encode()
    return Respond(Response.build(200, [("content-type", "application/json")], body))


def _openapi(request: Request) -> Outcome:
    return _answer()


def add_openapi_route(routes: AdminRoutes) -> None:
    """Serve the document at ``GET /__admin/openapi.json`` (behind the admin token)."""
    routes.add(("GET",), OPENAPI_PATH, _openapi)
