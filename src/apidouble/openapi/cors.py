"""Prism's CORS: every answer allows the caller's origin (``*`` without one), any
header and credentials, and exposes every header; a preflight is answered 204 with the
method and headers it asks for."""

from __future__ import annotations

from apidouble.model import Request
from apidouble.outcome import Response

__all__ = ["ANY_ORIGIN", "cors_headers", "is_preflight", "preflight"]


def cors_headers(origin: str | None) -> list[tuple[str, str]]:
    """The headers Prism adds to every answer for ``origin`` (None: no ``Origin`` sent)."""
    return [
        ("Access-Control-Allow-Origin", origin or "*"),
        ("Access-Control-Allow-Headers", "*"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "*"),
    ]


ANY_ORIGIN = cors_headers(None)


def is_preflight(request: Request) -> bool:
    """An ``OPTIONS`` a browser sends before a cross-origin request."""
    return (
        request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


def preflight(request: Request) -> Response:
    """The 204 Prism answers a preflight with."""
    asked_headers = request.header("access-control-request-headers") or "*"
    method = request.header("access-control-request-method") or "*"
    headers = [
        ("Access-Control-Allow-Origin", request.header("origin") or "*"),
        ("Access-Control-Allow-Headers", asked_headers),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "*"),
        ("Access-Control-Allow-Methods", method),
        ("Vary", "origin"),
    ]
    return Response.build(204, headers, b"")
