"""WireMock's request model (``request.path.[0]``, ``request.query.x``...), built lazily.

Each part is computed the first time a template reads it, from our ``model.Request`` and
the path parameters the router matched (``urlPathTemplate`` ``/users/{id}`` gives
``request.path.id``). The parts print and compare as WireMock's do (see ``values``).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import datetime
from random import Random
from typing import Any
from urllib.parse import unquote

from ...model import Request
from .values import JavaMap, ListOrSingle, Lookup, Opaque

__all__ = ["HeadersValue", "PathValue", "RequestModel", "Root"]


class PathValue(Lookup):
    """``request.path``: prints as the path; ``.[n]`` is a segment, ``.name`` a path
    parameter."""

    __slots__ = ("_path", "_params", "_segments")

    def __init__(self, path: str, params: dict[str, str]) -> None:
        self._path = path
        self._params = params
        self._segments = [unquote(s) for s in path.split("/") if s]

    def hb_get(self, key: str) -> Any:
        if key.isdigit():
            index = int(key)
            return self._segments[index] if index < len(self._segments) else None
        if key == "":
            return self._segments
        return self._params.get(key)

    def __str__(self) -> str:
        return self._path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathValue) and other._path == self._path

    def __hash__(self) -> int:
        return hash(self._path)


class HeadersValue(Lookup):
    """``request.headers``: any-case names, each a multi-value."""

    __slots__ = ("_map",)

    def __init__(self, header_map: dict[str, list[str]]) -> None:
        self._map = header_map

    def hb_get(self, key: str) -> Any:
        if key == "":
            return {name: ListOrSingle(values) for name, values in self._map.items()}
        values = self._map.get(key.lower())
        return ListOrSingle(values) if values else None

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}={v[0]}" for k, v in self._map.items()) + "}"


def _host_port(request: Request) -> tuple[str, int]:
    """From the ``Host`` header; with no port there, the scheme's (80, or 443 over TLS)."""
    host = request.header("host") or "localhost"
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit():
        return name, int(port)
    return host, 443 if request.scheme == "https" else 80


def _query(request: Request) -> JavaMap:
    return JavaMap((name, ListOrSingle(values)) for name, values in request.query.items())


def _cookies(request: Request) -> JavaMap:
    return JavaMap((name, ListOrSingle([value])) for name, value in request.cookies.items())


def _base_url(request: Request) -> str:
    scheme = request.scheme
    host, port = _host_port(request)
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"


_PARTS: dict[str, Callable[[Request, dict[str, str]], Any]] = {
    "url": lambda r, p: r.url,
    "path": lambda r, p: PathValue(r.path, p),
    "pathSegments": lambda r, p: PathValue(r.path, p),
    "query": lambda r, p: _query(r),
    "method": lambda r, p: Opaque(r.method),
    "headers": lambda r, p: HeadersValue(r.header_map),
    "cookies": lambda r, p: _cookies(r),
    "body": lambda r, p: r.text,
    "bodyAsBase64": lambda r, p: base64.b64encode(r.body).decode("ascii"),
    "scheme": lambda r, p: r.scheme,
    "host": lambda r, p: _host_port(r)[0],
    "port": lambda r, p: _host_port(r)[1],
    "baseUrl": lambda r, p: _base_url(r),
    "clientIp": lambda r, p: r.client[0] if r.client else "127.0.0.1",
    "id": lambda r, p: str(uuid.uuid4()),
}


class RequestModel(Lookup):
    """``request``: each part computed on first read, then kept for the response."""

    __slots__ = ("_request", "_params", "_parts")

    def __init__(self, request: Request | None, params: dict[str, str]) -> None:
        self._request = request
        self._params = params
        self._parts: dict[str, Any] = {}

    def hb_get(self, key: str) -> Any:
        try:
            return self._parts[key]
        except KeyError:
            make = _PARTS.get(key)
            if make is None or self._request is None:
                return None
            value = self._parts[key] = make(self._request, self._params)
            return value

    def __str__(self) -> str:
        return f"{{url={self.hb_get('url')}, method={self.hb_get('method')}}}"


class Root(dict[str, Any]):
    """The root context of one render: ``request`` plus what ``assign``-like helpers
    store; carries the environment's random source and the response's moment."""

    __slots__ = ("rng", "moment", "parsed", "xml", "faker")

    def __init__(self, request: RequestModel, rng: Random | None, moment: datetime | None) -> None:
        super().__init__(request=request)
        self.rng = rng
        self.moment = moment
        self.parsed: dict[str, Any] = {}
        """JSON texts already parsed in this render (``jsonPath request.body`` thrice
        parses the body once); helpers never mutate what they read."""
        self.xml: dict[str, Any] | None = None
        """XML texts already parsed in this render (``xPath`` makes it when first used);
        a text that is not XML maps to None."""
        self.faker: Any = None
        """The environment's seeded Faker, set when a helper ``needs`` it (Mockoon's
        ``faker``)."""
