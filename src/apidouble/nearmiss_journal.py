"""WireMock's near-miss queries over one engine: stubs nearest a request, kept requests
nearest a pattern, and the nearest stubs of every unmatched kept request.

Answers are WireMock 3.13's shapes: ``{"nearMisses": [{"request": LoggedRequest,
"stubMapping" | "requestPattern": ..., "matchResult": {"distance": d}}]}``, at most three
per question, nearest first. Distances are ours (``CompiledPattern.explain``), not
WireMock's floats; ties keep WireMock's order (stubs newest first, requests newest
first). A stub is graded on its request pattern alone, as WireMock grades it: a
scenario in another state does not move it away. Nothing here runs per served request.
"""

from __future__ import annotations

import base64
import binascii
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

from .admin.wiremock import MappingViews, logged_date_string, logged_request
from .compiled import CompiledConfig
from .engine import Engine
from .importers.wiremock.problems import MappingError
from .importers.wiremock.request import request_pattern
from .matching.near import EXPLAIN_ALL_UP_TO
from .matching.pattern import CompiledPattern, compile_pattern
from .matching.result import MatchResult
from .model import Request, Stub
from .verify import NEAR_MISSES, entry_request, nearest_entries


class _Generation:
    """What grading needs of one config: its stubs newest first (WireMock's order), each
    with its pattern compiled without the scenario gate, and the mapping views."""

    __slots__ = ("config", "views", "stubs")

    def __init__(self, config: CompiledConfig) -> None:
        self.config = config
        self.views = MappingViews(config)
        stubs = [compiled.stub for compiled in config.stubs.values()]
        self.stubs: list[tuple[Stub, CompiledPattern]] = [
            (stub, compile_pattern(stub.pattern)) for stub in reversed(stubs)
        ]


_generations: weakref.WeakKeyDictionary[Engine, _Generation] = weakref.WeakKeyDictionary()
"""The last generation graded, per engine (replaced after a reload; gone with the engine)."""


def _generation(engine: Engine) -> _Generation:
    config = engine.config
    found = _generations.get(engine)
    if found is None or found.config is not config:
        found = _generations[engine] = _Generation(config)
    return found


def nearest_stubs(
    engine: Engine, request: Request, limit: int = NEAR_MISSES
) -> list[tuple[Stub, MatchResult]]:
    """The stubs nearest ``request``, nearest first (a full match is distance 0).

    Up to ``EXPLAIN_ALL_UP_TO`` stubs every one is graded; past that the router's
    near-miss index picks the candidates (bounded work per request) and they are graded
    here, so a scenario gate does not change the order."""
    generation = _generation(engine)
    head = generation.config.router.head_via_get
    stubs = generation.stubs
    if len(stubs) > EXPLAIN_ALL_UP_TO:
        router = generation.config.router
        picked = {near.stub.id for near in router.near_misses(request, 2 * limit)}
        stubs = [(stub, pattern) for stub, pattern in stubs if stub.id in picked]
    graded = [(stub, pattern.explain(request, head)) for stub, pattern in stubs]
    graded.sort(key=lambda item: item[1].distance)
    return graded[:limit]


def _match_result(result: MatchResult) -> dict[str, Any]:
    return {"subEvents": [], "diffDescriptions": [], "distance": result.distance}


def _stub_misses(
    engine: Engine, request: Request, shown: Mapping[str, Any]
) -> list[dict[str, Any]]:
    views = _generation(engine).views
    return [
        {
            "request": shown,
            "stubMapping": views.for_event(stub.id, request.method),
            "matchResult": _match_result(result),
        }
        for stub, result in nearest_stubs(engine, request)
    ]


def near_misses_for_request(engine: Engine, logged: Any) -> dict[str, Any]:
    """``POST /__admin/near-misses/request``: the stubs nearest a ``LoggedRequest``;
    ``MappingError`` (with a pointer) when it cannot be read."""
    request, shown = read_logged_request(logged)
    return {"nearMisses": _stub_misses(engine, request, shown)}


def near_misses_for_pattern(engine: Engine, pattern: Any) -> dict[str, Any]:
    """``POST /__admin/near-misses/request-pattern``: the kept requests nearest a WireMock
    request pattern; ``MappingError`` (with a pointer) when it cannot be read."""
    compiled = compile_pattern(request_pattern(pattern))
    head = engine.config.router.head_via_get
    nearest = nearest_entries(
        engine.journal.newest(), lambda entry: compiled.explain(entry_request(entry), head)
    )
    return {
        "nearMisses": [
            {
                "request": logged_request(entry),
                "requestPattern": pattern,
                "matchResult": _match_result(result),
            }
            for entry, result in nearest
        ]
    }


def unmatched_near_misses(engine: Engine) -> dict[str, Any]:
    """``GET /__admin/requests/unmatched/near-misses``: per unmatched kept request (newest
    first), its nearest stubs."""
    found: list[dict[str, Any]] = []
    for entry in engine.journal.find(unmatched=True):
        found.extend(_stub_misses(engine, entry_request(entry), logged_request(entry)))
    return {"nearMisses": found}


# --- a LoggedRequest sent by a client ------------------------------------------------


def read_logged_request(raw: Any) -> tuple[Request, dict[str, Any]]:
    """A client's ``LoggedRequest`` as a ``Request``, and as WireMock echoes it back
    (what it read, in its order, with ``queryParams`` parsed from the URL)."""
    if not isinstance(raw, Mapping):
        raise MappingError("a LoggedRequest must be a JSON object")
    url = _text(raw, "url")
    method = _text(raw, "method")
    absolute = _text(raw, "absoluteUrl")
    headers = _headers(raw.get("headers"))
    cookies = raw.get("cookies")
    if cookies is not None and not isinstance(cookies, Mapping):
        raise MappingError("cookies must be an object", "/cookies")
    body = _body(raw)
    split = urlsplit(url or "")
    pairs = [(name, value) for name, values in headers.items() for value in values]
    names = {name.lower() for name, _ in pairs}
    if cookies and "cookie" not in names:
        pairs.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    target = urlsplit(absolute) if absolute else None
    if target is not None and target.netloc and "host" not in names:
        pairs.append(("Host", target.netloc))
    request = Request((method or "").upper(), split.path, split.query, tuple(pairs), body)
    shown: dict[str, Any] = {}
    for key, value in (("url", url), ("absoluteUrl", absolute), ("method", method)):
        if value is not None:
            shown[key] = value
    client = _text(raw, "clientIp")
    if client is not None:
        shown["clientIp"] = client
    if raw.get("headers") is not None:
        shown["headers"] = {k: v[0] if len(v) == 1 else v for k, v in headers.items()}
    if cookies is not None:
        shown["cookies"] = dict(cookies)
    shown["browserProxyRequest"] = False
    logged = raw.get("loggedDate")
    if isinstance(logged, int | float) and not isinstance(logged, bool):
        shown["loggedDate"] = logged
    if raw.get("bodyAsBase64") is not None:  # as WireMock, which reads no other body
        shown["bodyAsBase64"] = base64.b64encode(body).decode("ascii")
        shown["body"] = body.decode("utf-8", "replace")
    if target is not None and target.hostname:
        shown["scheme"] = target.scheme or "http"
        shown["host"] = target.hostname
        shown["port"] = _port(target)
    else:
        shown["port"] = -1
    if "loggedDate" in shown:
        try:
            shown["loggedDateString"] = logged_date_string(shown["loggedDate"] / 1000)
        except (OverflowError, ValueError, OSError):
            raise MappingError("loggedDate is out of range", "/loggedDate") from None
    shown["queryParams"] = {k: {"key": k, "values": v} for k, v in request.query.items()}
    shown["formParams"] = {}
    return request, shown


def _port(target: SplitResult) -> int:
    """The URL's port, its scheme's default, or -1 when it is not a port (WireMock's)."""
    try:
        port = target.port
    except ValueError:
        return -1
    return port or (443 if target.scheme == "https" else 80)


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise MappingError(f"{key} must be a string, got {value!r}", f"/{key}")
    return value


def _headers(raw: Any) -> dict[str, list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise MappingError("headers must be an object", "/headers")
    found: dict[str, list[str]] = {}
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise MappingError(f"header {name} must be a string or strings", f"/headers/{name}")
        found[str(name)] = list(values)
    return found


def _body(raw: Mapping[str, Any]) -> bytes:
    encoded = raw.get("bodyAsBase64")
    if encoded is not None:
        if not isinstance(encoded, str):
            raise MappingError("bodyAsBase64 must be a string", "/bodyAsBase64")
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):  # not base64, or not ASCII at all
            raise MappingError("bodyAsBase64 is not base64", "/bodyAsBase64") from None
    text = raw.get("body")  # WireMock ignores it; matching on it is what a sender means
    return text.encode("utf-8") if isinstance(text, str) else b""
