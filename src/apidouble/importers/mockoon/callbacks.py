"""A response's ``callbacks`` -> the native endpoint's ``callbacks``, the static ones.

Mockoon sends each callback the response names (by uuid, from the environment's
``callbacks``) after the answer, ``latency`` ms later, once (no retries), with the
callback's headers and, for methods that carry one, its body. Callbacks whose URL,
headers or body are templates (Handlebars, which native callbacks do not speak yet),
relative URLs (to the mock itself) and file bodies are not there yet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from apidouble.importers.mockoon.responses import bucket_named, headers_of, listed

_BODILESS = ("GET", "HEAD")
_TEMPLATE = re.compile(r"\{\{|\{%|\{#")


def callbacks_of(
    response: Mapping[str, Any], known: Sequence[Any], buckets: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """The native callbacks of a response, and the ones left out (index, why)."""
    by_uuid = {str(c.get("uuid")): c for c in known if isinstance(c, dict)}
    found: list[dict[str, Any]] = []
    left: list[tuple[int, str]] = []
    for index, call in enumerate(listed(response.get("callbacks"))):
        spec = by_uuid.get(str(call.get("uuid"))) if isinstance(call, dict) else None
        if spec is None:
            continue  # Mockoon skips a callback it cannot find
        try:
            found.append(_callback(spec, call, buckets))
        except ValueError as exc:
            left.append((index, f"callback {spec.get('name') or spec.get('uuid')!r}: {exc}"))
    return found, left


def _callback(
    spec: Mapping[str, Any], call: Mapping[str, Any], buckets: Mapping[str, str]
) -> dict[str, Any]:
    url = str(spec.get("uri") or "")
    method = str(spec.get("method") or "get").upper()
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise ValueError(f"URL {url!r}: only absolute http(s) URLs (not yet)")
    headers = headers_of(spec.get("headers"))
    body = _body(spec, buckets)
    if any(_TEMPLATE.search(text) for text in (url, body, *(v for _, v in headers))):
        raise ValueError("templated callbacks: not yet")
    made: dict[str, Any] = {"url": url, "method": method, "retries": 0}
    if headers:
        made["headers"] = dict(headers)
    if body and method not in _BODILESS:
        made["body"] = body
    latency = call.get("latency")
    if isinstance(latency, int | float) and not isinstance(latency, bool) and latency > 0:
        made["delay_ms"] = latency
    return made


def _body(spec: Mapping[str, Any], buckets: Mapping[str, str]) -> str:
    kind = spec.get("bodyType") or "INLINE"
    if kind == "FILE" and spec.get("filePath"):
        raise ValueError("file bodies: not yet")
    value = bucket_named(buckets, spec)
    if value is not None:
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, str) else json.dumps(parsed, separators=(",", ":"))
    return "" if spec.get("body") is None else str(spec["body"])
