"""The ``request`` name: the request as plain data, each part computed on first use.

A template that says ``request.params.id`` should not pay for parsing the query string,
the cookies or the JSON body; ``RequestView`` is a dict that fills a key the first time
it is read. Values are plain dicts, lists and strings, so the sandbox has nothing
dangerous to reach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..model import INVALID_JSON, Request


class HeaderView(dict[str, str]):
    """Request headers for templates: any-case lookup, first value of each name."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


def _json(request: Request, params: dict[str, str]) -> Any:
    body_json = request.json
    return None if body_json is INVALID_JSON else body_json


REQUEST_PARTS: dict[str, Callable[[Request, dict[str, str]], Any]] = {
    "method": lambda r, p: r.method,
    "url": lambda r, p: r.url,
    "path": lambda r, p: r.path,
    "params": lambda r, p: p,
    "query": lambda r, p: {name: values[0] for name, values in r.query.items()},
    "query_all": lambda r, p: r.query,
    "headers": lambda r, p: HeaderView((n, v[0]) for n, v in r.header_map.items()),
    "cookies": lambda r, p: r.cookies,
    "body": lambda r, p: r.text,
    "json": _json,
    "scheme": lambda r, p: r.scheme,
}


class RequestView(dict[str, Any]):
    """``request`` in templates: ``method, url, path, params, query, query_all, headers,
    cookies, body, json, scheme``; each is computed when first read."""

    __slots__ = ("_request", "_params")

    def __init__(self, request: Request | None, params: dict[str, str]) -> None:
        # no dict.__init__: the dict starts empty anyway, and this runs once per response
        self._request = request
        self._params = params

    def __missing__(self, key: str) -> Any:
        make = REQUEST_PARTS.get(key)
        if make is None or self._request is None:
            raise KeyError(key)
        value = self[key] = make(self._request, self._params)
        return value

    def materialize(self) -> dict[str, Any]:
        """Every part at once (for ``{{ request }}`` in a typed JSON slot or a loop)."""
        if self._request is not None:
            for key in REQUEST_PARTS:
                self[key]
        return dict(dict.items(self))

    def __iter__(self) -> Iterator[str]:
        return iter(self.materialize())

    def __len__(self) -> int:
        return len(self.materialize())

    def keys(self) -> Any:
        return self.materialize().keys()

    def values(self) -> Any:
        return self.materialize().values()

    def items(self) -> Any:
        return self.materialize().items()

    def __repr__(self) -> str:
        return repr(self.materialize())


def request_view(request: Request, params: dict[str, str]) -> dict[str, Any]:
    """Every part of the request as one plain dict (kept for callers of the old API)."""
    return RequestView(request, params).materialize()


_NO_AUTH: dict[str, Any] = {"scheme": None, "subject": None, "claims": {}, "scopes": []}


def auth_view(request: Request | None) -> dict[str, Any]:
    """``auth`` in templates: what the stub's ``auth`` admitted (``scheme``, ``subject``,
    ``claims``, ``scopes``); with nothing admitted, no subject and no claims (so
    ``auth.claims.sub`` is missing: an error unless ``| default(...)``)."""
    admitted = getattr(request, "auth", None)
    if admitted is None:
        return dict(_NO_AUTH, claims={})
    return {
        "scheme": admitted.scheme,
        "subject": admitted.subject,
        "claims": dict(admitted.claims),
        "scopes": sorted(admitted.scopes),
    }
