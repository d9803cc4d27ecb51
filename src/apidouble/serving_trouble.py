"""Serve-time trouble: the decisions of ``behaviours/`` applied to one exchange.

Kept apart from ``engine.py`` so the engine reads as the list of phases; everything here
consults decision objects compiled at load time and returns data (a ``Response`` to send
instead, headers to add, a fault plan). Nothing sleeps or does I/O.
"""

from __future__ import annotations

from typing import Any

from .behaviours.cors import PREFLIGHT_STATUS, CorsPolicy
from .behaviours.decision import DECISION_HEADER, Decision
from .behaviours.ratelimit import RateDecision, RateLimiter, default_body_bytes
from .behaviours.trouble import Trouble
from .compiled import CompiledConfig
from .matching.router import Router
from .model import Headers, Request
from .outcome import Response
from .responses import JSON_TYPE, encode_json


def preflight(config: CompiledConfig, request: Request) -> Response | None:
    """The automatic answer to a CORS preflight, or None when it is not one (or a stub
    for OPTIONS on that path exists, which then answers instead)."""
    if request.method != "OPTIONS" or request.header("origin") is None:
        return None
    if request.header("access-control-request-method") is None:
        return None
    if config.router.find(request).stub is not None:
        return None
    methods, policy = _path_cors(config, config.router, request)
    if policy is None or not methods:
        return None
    headers = policy.preflight(request, sorted(methods))
    if headers is None:
        return None
    return Response.build(PREFLIGHT_STATUS, headers, b"")


def _path_cors(
    config: CompiledConfig, router: Router, request: Request
) -> tuple[set[str], CorsPolicy | None]:
    """Methods stubbed for this path, and the CORS policy that covers it."""
    methods: set[str] = set()
    own_policy: CorsPolicy | None = None
    for stub, stub_methods in router.methods_for_path(request.path):
        methods.update(stub_methods or ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"))
        own = config.stubs[stub.id].trouble.cors
        if own is not None and own_policy is None:
            own_policy = own  # an endpoint's own policy is narrower than the server's
    return methods, own_policy or config.server.cors


def refuse(limiter: RateLimiter, decision: RateDecision, refusal: Any) -> Response:
    """The 429 (or configured refusal) with Retry-After and RateLimit-* headers."""
    headers = limiter.headers(decision)
    settings = refusal or {}
    status = int(settings.get("status", 429))
    body = settings.get("response")
    extra = list(dict(settings.get("headers", {})).items())
    if body is None:
        payload = default_body_bytes(decision)
        content_type = JSON_TYPE
    elif isinstance(body, str):
        payload = body.encode()
        content_type = settings.get("content_type") or "text/plain; charset=utf-8"
    else:
        payload = encode_json(body)
        content_type = settings.get("content_type") or JSON_TYPE
    return Response.build(status, [("content-type", content_type), *headers, *extra], payload)


def rate_limited(
    limiter: RateLimiter, refusal: Any, request: Request, decision: Decision | None, now: float
) -> tuple[Response | None, RateDecision]:
    """Check one limiter: a refusal to send (or None), and the verdict (its headers go on
    the answer; ``RateLimiter.release`` takes an admission back)."""
    verdict = limiter.check(request, now)
    if decision is not None and (decision.rate_limit is None or not verdict.allowed):
        decision.rate_limit = verdict  # the narrowest verdict: a refusal, else the first
    if not verdict.allowed:
        return refuse(limiter, verdict, refusal), verdict
    return None, verdict


def cache_headers(trouble: Trouble, request: Request, response: Response) -> Response:
    """Add validators and Cache-Control; a 304 when the client's copy is current."""
    policy = trouble.cache
    if policy is None or response.status != 200:
        return response
    headers = policy.headers_for(response.body)
    etag = next((value for name, value in headers if name == "ETag"), None)
    if policy.not_modified(request, etag):
        return Response.build(304, headers, b"")
    return response.with_headers(headers)


def cors_headers(policy: CorsPolicy | None, request: Request) -> Headers:
    """Access-Control-* for an answer to a cross-origin request."""
    if policy is None or request.header("origin") is None:
        return []
    return policy.response_headers(request)


def decision_header(decision: Decision) -> Headers:
    """The compact ``X-Apidouble-Decision`` header."""
    value = decision.header_value()
    return [(DECISION_HEADER, value)] if value else []
