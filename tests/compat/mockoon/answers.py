"""What a client saw, reduced to what the comparison needs: status, content type, the
headers the environment declares, and the body's JSON shape and hashes.

Faker values differ by design between faker.js and Python Faker, so a body is kept as
its shape (types and keys) plus a hash of its canonical JSON or bytes; the comparison
uses the hash only where the route's bodies are not templates.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import httpx

from tests.compat.mockoon.cases import Case

TIMEOUT_S = 15.0
_UNCOMPARED = {"", "content-type", "content-length", "transfer-encoding", "date", "connection"}
"""The content type is compared on its own; the rest is framing and the clock."""
_EXPRESS_404 = re.compile(rb"<pre>Cannot [A-Z]+ [^<]*</pre>")
"""Express's page for a request no route took."""
_SHAPE_INLINE = 300
"""A shape longer than this (as JSON) is kept as its hash, so fixtures stay small."""


def declared_headers(env: dict[str, Any]) -> list[str]:
    """Lower-case names of every header the environment or a response sets, but the
    content type (compared on its own) and the framing ones."""
    names = {str(h.get("key", "")).lower() for h in env.get("headers") or []}
    for route in env.get("routes") or []:
        for response in route.get("responses") or []:
            names |= {str(h.get("key", "")).lower() for h in response.get("headers") or []}
    return sorted(names - _UNCOMPARED)


def send(client: httpx.Client, case: Case, headers: list[str]) -> dict[str, Any]:
    """Send one case and summarise the answer (or name the transport error)."""
    sent = dict(case.headers)
    content = None
    if case.body is not None:
        content = json.dumps(case.body).encode()
        sent["Content-Type"] = "application/json"
    try:
        response = client.request(case.method, case.path, headers=sent, content=content)
    except httpx.TransportError as exc:
        return {"error": type(exc).__name__}  # a closed connection, a timeout
    return summarise(response, headers)


def summarise(response: httpx.Response, headers: list[str]) -> dict[str, Any]:
    """The answer as a fixture keeps it."""
    kept = {name: response.headers[name] for name in headers if name in response.headers}
    return {
        "status": response.status_code,
        "content_type": response.headers.get("content-type", ""),
        "headers": kept,
        "body": body_summary(response.content),
    }


def body_summary(content: bytes) -> dict[str, Any]:
    """``empty``; ``unmatched`` (Express's 404 page); ``json`` with its shape and
    canonical hash; else ``text`` with a hash."""
    if not content.strip():
        return {"kind": "empty"}
    if _EXPRESS_404.search(content):
        return {"kind": "unmatched"}
    try:
        value = json.loads(content)
    except ValueError:
        return {"kind": "text", "sha256": _digest(content)}
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    found = shape(value)
    printed = json.dumps(found, sort_keys=True, separators=(",", ":"))
    kept: Any = found if len(printed) <= _SHAPE_INLINE else {"sha256": _digest(printed.encode())}
    return {"kind": "json", "shape": kept, "sha256": _digest(canonical)}


def shape(value: Any) -> Any:
    """Types and keys: an object's keys with their shapes, a list as ``[the merged shape
    of its items]`` (``[]`` when empty), so that generated lists of any length compare."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = shape(item) if merged is None else _merge(merged, shape(item))
        return [] if merged is None else [merged]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"


def _merge(a: Any, b: Any) -> Any:
    """One shape for two items of a list: keys united, lists merged, other types joined."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return {k: _merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in keys}
    if isinstance(a, list) and isinstance(b, list):
        return a if not b else b if not a else [_merge(a[0], b[0])]
    if a == b:
        return a
    names = set(str(a).split("|")) | set(str(b).split("|"))
    return "|".join(sorted(names)) if all(isinstance(x, str) for x in (a, b)) else "mixed"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
