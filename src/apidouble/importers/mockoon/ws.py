"""A ``ws`` route -> a native WebSocket endpoint, where the conversation is a simple one.

Mockoon answers each text message of a ``ws`` route (``streamingMode: null``) with the
first response whose rules hold on the message (``body`` rules), else the default one,
after its latency; an empty answer sends nothing. That is the native ``on_message``:
one rule per response (per alternative of its rules), in order. Streaming (broadcast,
unicast), random and sequential modes, templated or file answers and rules on the
upgrade request are not there yet.
"""

from __future__ import annotations

import json
from typing import Any

from apidouble.importers.mockoon.paths import route_path
from apidouble.importers.mockoon.problems import Problems
from apidouble.importers.mockoon.routes import Route, names
from apidouble.importers.mockoon.rules import Rules, Unsupported, alternatives


def websocket_endpoint(route: Route, problems: Problems) -> dict[str, Any] | None:
    """The native endpoint of a ``ws`` route; None (with a problem) when it is not simple."""
    data = route.data
    try:
        path = route_path(route.prefix, str(data.get("endpoint") or ""))
        rules = _on_message(route, path)
    except (ValueError, Unsupported) as exc:
        problems.add(f"a WebSocket route not served: {exc}", route.pointer, data)
        return None
    return {**names(route, 0, None), "method": ["GET"], **path.native(), "websocket": rules}


def _on_message(route: Route, path: Any) -> dict[str, Any]:
    data = route.data
    if data.get("streamingMode"):
        raise Unsupported(f"streamingMode {data['streamingMode']}: not yet")
    mode = data.get("responseMode")
    if mode in ("RANDOM", "SEQUENTIAL"):
        raise Unsupported(f"responseMode {mode}: not yet")
    responses = [r for r in data.get("responses") or [] if isinstance(r, dict)]
    if not responses:
        raise Unsupported("a route with no response")
    ctx = Rules(path, route.buckets)
    found: list[dict[str, Any]] = []
    if mode != "DISABLE_RULES":
        for response in responses:
            if not response.get("rules"):
                continue
            for conditions in alternatives(response, ctx):
                if any(item.kind != "body" for item in conditions):
                    raise Unsupported("rules on the upgrade request: not yet")
                rule = _answer(response, route)
                if conditions:
                    rule["match"] = [item.value for item in conditions]
                found.append(rule)
    if mode != "FALLBACK":
        default = next((r for r in responses if r.get("default")), responses[0])
        found.append(_answer(default, route))
    return {"on_message": found}


def _answer(response: dict[str, Any], route: Route) -> dict[str, Any]:
    """One ``on_message`` rule's answer: the response's text, after its latency."""
    kind = response.get("bodyType") or "INLINE"
    text = "" if response.get("body") is None else str(response["body"])
    if kind == "DATABUCKET" and response.get("databucketID") in route.env.buckets:
        text = route.env.buckets[str(response["databucketID"])]
        try:
            parsed = json.loads(text)
            if not isinstance(parsed, str):
                text = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            pass
    elif kind == "FILE" and response.get("filePath"):
        raise Unsupported("file answers: not yet")
    if "{{" in text or "{%" in text or "{#" in text:
        raise Unsupported("templated answers: not yet")
    rule: dict[str, Any] = {"reply": text if text else []}
    latency = response.get("latency")
    if isinstance(latency, int | float) and latency > 0:
        rule["delay_ms"] = latency
    return rule
