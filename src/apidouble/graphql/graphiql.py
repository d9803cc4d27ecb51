"""The GraphiQL page a ``graphql:`` endpoint shows a browser, and the files it loads.

A GET that asks for HTML (``Accept: text/html``) and carries no ``query`` gets the page;
any other request is GraphQL as before. The page and its files come from the endpoint
itself (``<path>?__graphiql=NAME``), so it works offline and behind any prefix: the
vendored GraphiQL and React builds (``assets/README.md`` says which), sent with a year's
``immutable`` cache (the versions are in the URLs) and gzipped for clients that take it.
The page starts GraphiQL on its own URL, with subscriptions over ``graphql-transport-ws``.
"""

from __future__ import annotations

import functools
import gzip
import html
from collections.abc import Mapping
from pathlib import Path

from ..outcome import Response

__all__ = ["ASSET_PARAM", "VERSION", "asset", "page", "wants_page"]

VERSION = "3.8.3"
"""The vendored GraphiQL (React 18.3.1 beside it)."""
ASSET_PARAM = "__graphiql"
"""The query parameter that names a file of the page."""
_FOLDER = Path(__file__).with_name("assets")
_TYPES: Mapping[str, str] = {
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "boot.js": "text/javascript",
}
_FOREVER = "public, max-age=31536000, immutable"
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " font-src 'self' data:; img-src 'self' data:; connect-src 'self' ws: wss:;"
    " base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
"""The page's Content-Security-Policy: its own files only (GraphiQL styles inline)."""


def wants_page(method: str, accept: str | None, query: Mapping[str, list[str]]) -> bool:
    """Whether a request is a browser's visit: a GET for HTML without a GraphQL query."""
    return (
        method.upper() == "GET"
        and accept is not None
        and "text/html" in accept.lower()
        and not query.get("query")
    )


def _url(name: str) -> str:
    return html.escape(f"?{ASSET_PARAM}={name}&v={VERSION}")


@functools.lru_cache(maxsize=64)
def _page_bytes(title: str) -> bytes:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>GraphiQL · {html.escape(title)}</title>
<link rel="stylesheet" href="{_url("graphiql.min.css")}">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="{_url("react.production.min.js")}"></script>
<script src="{_url("react-dom.production.min.js")}"></script>
<script src="{_url("graphiql.min.js")}"></script>
<script src="{_url("boot.js")}"></script>
</body>
</html>
""".encode()


def page(path: str) -> Response:
    """The page for the endpoint at ``path`` (the title names it; the URLs are relative)."""
    headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("content-security-policy", _POLICY),
        ("x-content-type-options", "nosniff"),
    ]
    return Response.build(200, headers, _page_bytes(path))


@functools.cache
def _read(name: str, gzipped: bool) -> bytes:
    """A file's bytes, read (and compressed) on first use and kept for the process."""
    raw = (_FOLDER / name).read_bytes()
    return gzip.compress(raw, 6, mtime=0) if gzipped else raw


def asset(name: str, accept_encoding: str | None) -> Response:
    """One of the page's files; a 404 for any other name (no path ever reaches the disk)."""
    kind = _TYPES.get(name)
    if kind is None:
        body = b'{"errors":[{"message":"no such GraphiQL file"}]}'
        return Response.build(404, [("content-type", "application/json")], body)
    gzipped = "gzip" in (accept_encoding or "").lower()
    headers = [
        ("content-type", f"{kind}; charset=utf-8"),
        ("cache-control", _FOREVER),
        ("vary", "accept-encoding"),
        ("x-content-type-options", "nosniff"),
    ]
    if gzipped:
        headers.append(("content-encoding", "gzip"))
    return Response.build(200, headers, _read(name, gzipped))
